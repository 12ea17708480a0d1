import LDEdgeCore

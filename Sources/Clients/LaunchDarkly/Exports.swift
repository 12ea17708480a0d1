// The one JSON value type, shared with LDEdgeCore (variation values, clauses).
@_exported import LDEdgeJSON

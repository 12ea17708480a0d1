// The one JSON value type (the LaunchDarkly client re-exports it too).
@_exported import LDEdgeJSON

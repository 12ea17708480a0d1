// The one JSON value type (also re-exported by the LaunchDarkly client).
@_exported import LDEdgeJSON

// LaunchDarkly module

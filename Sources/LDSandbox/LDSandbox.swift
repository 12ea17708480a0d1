// LDSandbox module

import LDEdgeCLI

// The executable is the library's command tree with the built-in step kinds (Sources/CLI/LDEdgeCLI).
await LDEdgeCLI.main()

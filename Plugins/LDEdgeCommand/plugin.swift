import PackagePlugin
@main struct LDEdgeCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {}
}

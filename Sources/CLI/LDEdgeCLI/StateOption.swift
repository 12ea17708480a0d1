import ArgumentParser

/// `--state URL`, accepted by every command that reads or writes state.
struct StateOption: ParsableArguments {
    @Option(
        name: .customLong("state"),
        help: "Where the state is: s3://BUCKET/PREFIX (shared, locked) or a folder. Overrides LDEDGE_STATE and the workflow's 'state:'; default .ldedge/.")
    var url: String?
}

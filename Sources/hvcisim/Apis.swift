import Kernel

struct Apis: Subcommand {
    static let spec = CommandSpec(
        name: "apis",
        abstract: "List the kernel APIs the model implements, one a line.",
        discussion: """
        Only exports with a handler of their own (or a data export backed by a real object) are listed, \
        then the KMDF functions (WDFLDR!Name) with handlers of their own; \
        an import not listed still resolves, to a logged fallback that returns 0. Measure coverage with:
          hvcisim apis | ../shared/scripts/api-coverage -
        """)

    init(_ arguments: ParsedArguments) {}

    func run() {
        for name in Kernel.modeledAPIs { print(name) }
        // KMDF functions are called through the table WdfVersionBind fills, not imported.
        for name in Kernel.modeledWdfFunctions { print(name) }
    }
}

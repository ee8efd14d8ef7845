import Kernel

struct Apis: Subcommand {
    static let spec = CommandSpec(
        name: "apis",
        abstract: "List the kernel APIs the model implements, one a line, each marked modelled or stub.",
        discussion: """
        Each line is `module!Name`, a tab, then `modelled` or `stub` (a stub then has a tab and its reason). \
        A modelled export reads its arguments and does what the DDI documents; a stub ignores its arguments \
        and returns a fixed value, and a call to one is marked `"stub": true` in `hvcisim run --format json`. \
        KMDF functions are listed as wdf01000.sys!Name (reached through WdfVersionBind's table, not imported); \
        data exports (KeTickCount, PsProcessType, …) as ntoskrnl.exe!Name. An import not listed still \
        resolves, to a logged fallback that returns 0.

        An import binds to the module it names; ntoskrnl.exe also exports the hal.dll functions (the HAL \
        is part of the kernel since Windows 10 2004).

        Examples:
          hvcisim apis | grep -c modelled                                (how many exports are modelled)
          hvcisim apis --no-stubs                                        (the real models only)
          hvcisim apis --where ExAllocatePoolWithTag                     (Sources/Kernel/Areas/Pool.swift)
        """,
        options: [
            OptionSpec(long: "no-stubs", kind: .flag, help: "List only modelled exports, leaving stubs out."),
            OptionSpec(long: "where", kind: .value(placeholder: "name"),
                       help: "Print the source file that implements NAME (or module!NAME) and nothing else."),
        ])

    var noStubs: Bool
    var whereName: String?

    init(_ arguments: ParsedArguments) {
        noStubs = arguments.flag("no-stubs")
        whereName = arguments.value("where")
    }

    func run() throws {
        let apis = Kernel.modelledAPIs
        if let whereName {
            let matches = apis.filter { $0.qualifiedName.lowercased() == whereName.lowercased() || $0.name == whereName }
            guard !matches.isEmpty else {
                SystemIO.printError("hvcisim apis: \(whereName) is not implemented by the model (an import of it gets the logged fallback)")
                throw ExitStatus(1)
            }
            var printed = Set<String>()
            for api in matches where printed.insert(api.file).inserted { print(api.file) }
            return
        }
        for api in apis where !(noStubs && api.isStub) {
            if let reason = api.stubReason {
                print("\(api.qualifiedName)\tstub\t\(reason)")
            } else {
                print("\(api.qualifiedName)\tmodelled")
            }
        }
    }
}

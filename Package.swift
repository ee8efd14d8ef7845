// swift-tools-version:6.0
// hvcisim — run Windows x64 kernel drivers under a model of HVCI.
// One module per layer (docs: ../shared/DESIGN.md §3); each layer depends only on the ones below it.
import PackageDescription

/// Unicorn from Debian's libunicorn-dev: the shared library in debug builds
/// (fast links for tests), the static archive in release builds. Loading
/// libunicorn.so.2 makes ~6 MiB resident (its symbol and relocation tables
/// for every architecture); linked statically it is ~4 MiB, which matters for
/// the peak-memory target (Benchmarks/speakeasy). The archive must come after
/// the objects that use it, which -Xlinker options do. Release links use lld
/// with packed relative relocations (DT_RELR, glibc >= 2.36): the 81,000
/// relocations of the static binary shrink from 1.9 MiB of RELA entries, all
/// read at start-up, to 22 KiB.
let unicornLinking: [LinkerSetting] = [
    .linkedLibrary("unicorn", .when(configuration: .debug)),
    .unsafeFlags(["-Xlinker", "-Bstatic", "-Xlinker", "-lunicorn", "-Xlinker", "-Bdynamic",
                  "-Xlinker", "-lm", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
                 .when(configuration: .release)),
]

let package = Package(
    name: "hvcisim",
    products: [
        .executable(name: "hvcisim", targets: ["hvcisim"]),
        .library(name: "PEImage", targets: ["PEImage"]),
        // The layers below the CLI, for the FuzzTesting package (kept out of this build, as WasmKit does).
        .library(name: "HVCISimCore", targets: ["JSON", "PEImage", "Events", "StaticChecks", "Kernel", "Memory", "Scenario"]),
    ],
    // No package dependencies: the CLI parses its own command line (see
    // Sources/hvcisim/CommandLine) so that no Foundation library is linked.
    dependencies: [],
    targets: [
        // MARK: Image layer (pure Swift, no dependencies)
        .target(name: "PEImage"),
        // JSON values: the ordered writer every report uses and the strict reader (seeds, reports, manifests).
        .target(name: "JSON"),
        // Findings and run-time events: the vocabulary every layer reports in.
        .target(name: "Events"),
        // Load-time half of HVCI: Code Integrity checks on a parsed image.
        .target(name: "StaticChecks", dependencies: ["PEImage", "Events"]),

        // MARK: Machine layer (Unicorn + Capstone from Debian's -dev packages)
        // Headers only; the CPU target links the library (see unicornLinking below).
        .systemLibrary(name: "CUnicorn", providers: [.apt(["libunicorn-dev"])]),
        // Headers only: the library is opened on first use (see CPU/CapstoneLibrary.swift).
        .systemLibrary(name: "CCapstone", providers: [.apt(["libcapstone-dev"])]),
        // Fixed-arity wrappers for Unicorn's variadic C functions (Swift cannot call C varargs).
        .target(name: "CUnicornShim", dependencies: ["CUnicorn"]),
        .target(name: "CPU", dependencies: ["CUnicorn", "CUnicornShim", "CCapstone"],
                linkerSettings: unicornLinking),
        .target(name: "Memory", dependencies: ["CPU", "Events"]),
        // The NT kernel model: exports by module and name, DV run-time checks, kernel objects.
        .target(name: "Kernel", dependencies: ["CPU", "Memory", "Events", "JSON"]),
        // Maps a PE image into guest memory as Windows' loader does; binds imports to the kernel model.
        .target(name: "Loader", dependencies: ["PEImage", "CPU", "Memory", "Kernel", "Events"]),
        // What to run: DriverEntry and the other entry paths, HVCI on/off, limits; outcomes.
        .target(name: "Scenario", dependencies: ["PEImage", "CPU", "Memory", "Kernel", "Loader", "Events", "StaticChecks"]),

        // MARK: Output
        .target(name: "Report", dependencies: ["JSON", "PEImage", "Events", "StaticChecks", "Kernel", "Scenario"]),

        // MARK: Harness: isolated runs, scans, baselines, diff and merge of reports, manifests
        .target(name: "Harness", dependencies: [
            "JSON", "PEImage", "Events", "StaticChecks", "Report", "Scenario", "Kernel", "Memory",
        ]),

        // MARK: CLI (thin: parses arguments, calls the layers, sets the exit status)
        .executableTarget(name: "hvcisim", dependencies: [
            "JSON", "PEImage", "Events", "StaticChecks", "Report", "Scenario", "Kernel", "Memory", "Harness",
        ]),

        // MARK: Tests
        .testTarget(name: "PEImageTests", dependencies: ["PEImage"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "JSON"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "JSON", "Events", "Scenario", "PEImage"]),
        .testTarget(name: "StaticChecksTests", dependencies: ["PEImage", "StaticChecks", "Events", "Report"]),
        // Runs the built executable as a user would (exit status, stdout, stderr).
        .testTarget(name: "CLITests", dependencies: ["hvcisim", "PEImage", "JSON"], exclude: ["Golden", "Fixtures"]),
        .testTarget(name: "CPUTests", dependencies: ["CPU"]),
        .testTarget(name: "MemoryTests", dependencies: ["Memory", "CPU", "Events"]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "Memory", "CPU", "Events"]),
        .testTarget(name: "LoaderTests", dependencies: ["Loader", "PEImage", "Kernel", "Memory", "CPU"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario", "PEImage", "Kernel", "Memory", "Events"],
                    exclude: ["Fixtures"]),
    ]
)

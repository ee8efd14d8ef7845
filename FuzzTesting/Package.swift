// swift-tools-version:6.0
// Fuzz targets for hvcisim, kept out of the main build (as WasmKit keeps its FuzzTesting).
// Build and run with FuzzTesting/fuzz.sh, which passes -sanitize=fuzzer to every Swift target
// so that libFuzzer sees coverage in the parser and the emulator's model, not only here.
import PackageDescription

let package = Package(
    name: "FuzzTesting",
    products: [
        .executable(name: "FuzzParse", targets: ["FuzzParse"]),
        .executable(name: "FuzzRun", targets: ["FuzzRun"]),
        .executable(name: "CLIFuzz", targets: ["CLIFuzz"]),
    ],
    dependencies: [.package(name: "hvcisim", path: "..")],
    targets: [
        // The structure-aware mutations (no libFuzzer: CLIFuzz uses them too).
        .target(name: "DriverMutation", dependencies: [.product(name: "HVCISimCore", package: "hvcisim")]),
        // libFuzzer glue: the custom mutator both libFuzzer targets install.
        .target(name: "FuzzSupport", dependencies: ["DriverMutation"]),
        // Parse + static checks: PEFile and CodeIntegrityChecks on every input.
        .executableTarget(name: "FuzzParse", dependencies: ["FuzzSupport", .product(name: "HVCISimCore", package: "hvcisim")]),
        // Load + run in this process (no isolation: a crash here is a finding).
        .executableTarget(name: "FuzzRun", dependencies: ["FuzzSupport", .product(name: "HVCISimCore", package: "hvcisim")]),
        // Mutated drivers through the real `hvcisim run` CLI, one process each (no sanitizer).
        .executableTarget(name: "CLIFuzz", dependencies: ["DriverMutation"]),
    ]
)

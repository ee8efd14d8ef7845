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
    ],
    dependencies: [.package(name: "hvcisim", path: "..")],
    targets: [
        // The structure-aware mutator both targets share.
        .target(name: "FuzzSupport", dependencies: [.product(name: "HVCISimCore", package: "hvcisim")]),
        // Parse + static checks: PEFile and CodeIntegrityChecks on every input.
        .executableTarget(name: "FuzzParse", dependencies: ["FuzzSupport", .product(name: "HVCISimCore", package: "hvcisim")]),
        // Load + run in this process (no isolation: a crash here is a finding).
        .executableTarget(name: "FuzzRun", dependencies: ["FuzzSupport", .product(name: "HVCISimCore", package: "hvcisim")]),
    ]
)

import Foundation
import Testing
@testable import Kernel

/// The registration table: one entry per module and name, stubs with reasons,
/// Zw/Nt twins both present, imports bound to the module they name.
struct ExportTableTests {
    @Test func noModuleAndNameIsRegisteredTwice() {
        #expect(ExportTable.duplicates(in: ExportTable.all) == [])
    }

    @Test func aSecondRegistrationOfTheSameExportIsFound() {
        let twice = [KernelExport.ntoskrnl("ExFreePool") { _ in 0 }, KernelExport.ntoskrnl("ExFreePool") { _ in 1 },
                     KernelExport.hal("ExFreePool") { _ in 0 }]
        // Same name in another module is no duplicate; the same module twice is.
        #expect(ExportTable.duplicates(in: twice) == ["ntoskrnl.exe!ExFreePool"])
    }

    @Test func everyStubHasAOneLineReason() {
        let stubs = ExportTable.all.filter(\.isStub)
        #expect(stubs.count > 50)
        for stub in stubs {
            let reason = stub.stubReason ?? ""
            #expect(reason.count >= 10 && !reason.contains("\n"), "\(stub.qualifiedName): '\(reason)'")
        }
    }

    /// Zw exports with no Nt twin registered: the model has not verified that
    /// ntoskrnl exports one (NtBuildNumber is data, not a service).
    static let loneServices: Set<String> = ["ZwPulseEvent"]

    @Test func zwAndNtTwinsAreBothRegistered() {
        let modelled = Set(ExportTable.all.filter { $0.module == .ntoskrnl && !$0.isStub }.map(\.name))
        let zw = modelled.filter { $0.hasPrefix("Zw") && !Self.loneServices.contains($0) }
        #expect(zw.count > 30)
        #expect(zw.filter { !modelled.contains("Nt" + $0.dropFirst(2)) }.sorted() == [])
        #expect(modelled.filter { $0.hasPrefix("Nt") && !modelled.contains("Zw" + $0.dropFirst(2)) }.sorted() == [])
    }

    @Test func everyRegistrationNamesAnExistingSourceFile() {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for file in Set(ExportTable.all.map(\.file)) {
            #expect(file.hasPrefix("Sources/Kernel/"), "\(file)")
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(file).path), "\(file)")
        }
        #expect(ExportTable.lookup(.ntoskrnl, "ExAllocatePoolWithTag")?.file == "Sources/Kernel/Areas/Pool.swift")
    }

    @Test func anImportBindsToTheModuleItNames() {
        #expect(ExportTable.binding(module: "ntoskrnl.exe", function: "ExAllocatePoolWithTag")?.module == .ntoskrnl)
        #expect(ExportTable.binding(module: "NTOSKRNL.EXE", function: "ExAllocatePoolWithTag") != nil)
        #expect(ExportTable.binding(module: "FLTMGR.SYS", function: "FltRegisterFilter")?.module == .fltmgr)
        #expect(ExportTable.binding(module: "ksecdd.sys", function: "BCryptGenRandom")?.module == .ksecdd)
        #expect(ExportTable.binding(module: "cng.sys", function: "BCryptGenRandom")?.module == .cng)
        // Windows would not resolve these: the module does not export the name.
        #expect(ExportTable.binding(module: "fltmgr.sys", function: "ExAllocatePoolWithTag") == nil)
        #expect(ExportTable.binding(module: "hal.dll", function: "ExAllocatePoolWithTag") == nil)
        #expect(ExportTable.binding(module: "ntoskrnl.exe", function: "FltRegisterFilter") == nil)
        // KMDF functions are reached through WdfVersionBind's table, never by import.
        #expect(ExportTable.lookup(.kmdf, "WdfDriverCreate") != nil)
        #expect(ExportTable.binding(module: "wdf01000.sys", function: "WdfDriverCreate") == nil)
    }

    @Test func ntoskrnlAlsoExportsTheHAL() {
        // hal.dll's own name and, since the HAL merge (Windows 10 2004), ntoskrnl.exe's.
        #expect(ExportTable.binding(module: "HAL.dll", function: "KeStallExecutionProcessor")?.module == .hal)
        #expect(ExportTable.binding(module: "ntoskrnl.exe", function: "KeStallExecutionProcessor")?.module == .hal)
        #expect(ExportTable.binding(module: "ntoskrnl.exe", function: "HalGetBusDataByOffset")?.module == .hal)
    }

    @Test func anImportFromTheWrongModuleGetsTheLoggedFallback() throws {
        let h = try KernelHarness(hvci: false)
        let slot = try h.kernel.resolve(module: "fltmgr.sys", function: "ExAllocatePoolWithTag")
        #expect(try h.run(at: slot, arguments: [0x200, 0x100, 0x6B736554]) == 0)
        #expect(h.kernel.fallbackHits == ["fltmgr.sys!ExAllocatePoolWithTag": 1])
        #expect(h.kernel.calls.last?.modeled == false)
    }

    @Test func aCallToAStubIsCountedAndMarked() throws {
        let h = try KernelHarness(hvci: false)
        let stub = try h.kernel.resolve(module: "ntoskrnl.exe", function: "EtwWrite")
        let model = try h.kernel.resolve(module: "ntoskrnl.exe", function: "KeGetCurrentIrql")
        _ = try h.run(at: stub, arguments: [1, 2, 3, 4])
        _ = try h.run(at: stub, arguments: [1, 2, 3, 4])
        _ = try h.run(at: model)
        #expect(h.kernel.stubHits == ["ntoskrnl.exe!EtwWrite": 2])
        #expect(h.kernel.calls.map(\.stub) == [true, true, false])
        #expect(h.kernel.calls.allSatisfy { $0.modeled })
        #expect(h.kernel.fallbackHits.isEmpty)
    }

    @Test func apisListsStubsAndModelsWithTheirFiles() {
        let apis = Kernel.modelledAPIs
        #expect(apis.map(\.qualifiedName) == apis.map(\.qualifiedName).sorted())
        let etw = apis.first { $0.qualifiedName == "ntoskrnl.exe!EtwWrite" }
        #expect(etw?.isStub == true && etw?.file == "Sources/Kernel/Areas/Wmi.swift")
        #expect(apis.first { $0.qualifiedName == "ntoskrnl.exe!KeTickCount" }?.file == "Sources/Kernel/DataExports.swift")
        #expect(apis.first { $0.qualifiedName == "ntoskrnl.exe!MmCopyMemory" }?.isStub == false)
    }
}

import Kernel
import Testing
@testable import StaticChecks

/// The static DDI note promises a run-time check only where the kernel model has one.
struct RuntimeCheckedDDITests {
    @Test func theNoteSaysChecksTheArgumentsOnlyForDDIsWithACheck() {
        for ddi in RuntimeCheckedDDIs.all {
            let note = RuntimeCheckedDDIs.note(kind: ddi.kind, check: ddi.check)
            let promises = note.contains("checks the actual arguments")
            let checksArguments: Bool
            if case .arguments = ddi.check { checksArguments = true } else { checksArguments = false }
            #expect(promises == checksArguments, "\(ddi.name): \(note)")
        }
        #expect(RuntimeCheckedDDIs.byName["MmCopyMemory"]?.check == RuntimeCheckedDDIs.RunTimeCheck.none)
        #expect(RuntimeCheckedDDIs.byName["MmAllocateContiguousNodeMemory"]?.check == .arguments(code: 0x2001))
        #expect(RuntimeCheckedDDIs.byName["ZwProtectVirtualMemory"]?.check == .arguments(code: 0x2001))
    }

    @Test func everyDDIWithARunTimeCheckIsModelledByTheKernel() {
        let modelled = Set(Kernel.modelledAPIs.filter { !$0.isStub }.map(\.name))
        for ddi in RuntimeCheckedDDIs.all where ddi.check != .none {
            #expect(modelled.contains(ddi.name), "\(ddi.name) has a run-time check but no model")
        }
    }
}

/// The few WFP (fwpkclnt.sys) and NDIS exports a KMDF network driver such as
/// WinDivert needs to get through DriverEntry: handle-returning calls write a
/// handle, registrations succeed, nothing reaches a real network stack.
/// Kept apart from the framework: ExportTable lists it as an area of its own,
/// under the modules that export the names (fwpkclnt.sys, ndis.sys).
enum NetworkMinimalArea {
    static let handlers: [KernelExport] = [
        // FwpsInjectionHandleCreate0(AddressFamily, Flags, *InjectionHandle)
        .fwpkclnt("FwpsInjectionHandleCreate0") { try writeHandle($0, out: $0.arg(2), kind: "InjectionHandle") },
        .fwpkclnt("FwpsInjectionHandleDestroy0") { _ in UInt64(NTStatus.success) }.stub("WFP objects are not tracked"),
        // FwpmEngineOpen0(ServerName, AuthnService, AuthIdentity, Session, *EngineHandle)
        .fwpkclnt("FwpmEngineOpen0") { try writeHandle($0, out: $0.arg(4), kind: "FwpmEngine") },
        .fwpkclnt("FwpmEngineClose0") { call in
            call.kernel.handles.close(try call.arg(0))
            return UInt64(NTStatus.success)
        },
        .fwpkclnt("FwpmTransactionBegin0") { _ in UInt64(NTStatus.success) }.stub("no filter engine: transactions do nothing"),
        .fwpkclnt("FwpmTransactionCommit0") { _ in UInt64(NTStatus.success) }.stub("no filter engine: transactions do nothing"),
        .fwpkclnt("FwpmTransactionAbort0") { _ in UInt64(NTStatus.success) }.stub("no filter engine: transactions do nothing"),
        // FwpsCalloutRegister0(DeviceObject, Callout, *CalloutId)
        .fwpkclnt("FwpsCalloutRegister0") { try writeId($0, out: $0.arg(2)) },
        // FwpmCalloutAdd0 / FwpmFilterAdd0(EngineHandle, Object, SecurityDescriptor, *Id)
        .fwpkclnt("FwpmCalloutAdd0") { try writeId($0, out: $0.arg(3), width: 4) },
        .fwpkclnt("FwpmFilterAdd0") { try writeId($0, out: $0.arg(3)) },
        .fwpkclnt("FwpmSubLayerAdd0") { _ in UInt64(NTStatus.success) }.stub("no filter engine: sublayers are not kept"),
        .fwpkclnt("FwpsCalloutUnregisterByKey0") { _ in UInt64(NTStatus.success) }.stub("no callout table: any key unregisters"),
        // FwpsCalloutUnregisterById0(CalloutId): the model keeps no callout table, so any id unregisters.
        .fwpkclnt("FwpsCalloutUnregisterById0") { _ in UInt64(NTStatus.success) }.stub("no callout table: any id unregisters"),
        .fwpkclnt("FwpmCalloutDeleteByKey0") { _ in UInt64(NTStatus.success) }.stub("no filter engine: nothing to delete"),
        .fwpkclnt("FwpmFilterDeleteByKey0") { _ in UInt64(NTStatus.success) }.stub("no filter engine: nothing to delete"),
        .fwpkclnt("FwpmSubLayerDeleteByKey0") { _ in UInt64(NTStatus.success) }.stub("no filter engine: nothing to delete"),
        // NdisAllocateNetBufferListPool(NdisHandle, Parameters) → NDIS_HANDLE
        .ndis("NdisAllocateNetBufferListPool") { call in try call.kernel.heap.allocate(0x40, name: "NBL pool") },
        .ndis("NdisFreeNetBufferListPool") { _ in 0 }.stub("NBL pools live in the kernel heap and are not freed"),
    ]

    static func writeHandle(_ call: KernelCall, out: UInt64, kind: String) throws -> UInt64 {
        guard out != 0, let handle = call.kernel.handles.insert(.init(kind: kind)) else { return UInt64(NTStatus.invalidParameter) }
        try call.kernel.writeU64(out, handle)
        return UInt64(NTStatus.success)
    }

    static func writeId(_ call: KernelCall, out: UInt64, width: Int = 8) throws -> UInt64 {
        let state = call.kernel.state(Ids.self) { Ids() }
        state.next &+= 1
        if out != 0 {
            if width == 4 { try call.kernel.writeU32(out, UInt32(truncatingIfNeeded: state.next)) } else { try call.kernel.writeU64(out, state.next) }
        }
        return UInt64(NTStatus.success)
    }

    final class Ids { var next: UInt64 = 0x100 }
}

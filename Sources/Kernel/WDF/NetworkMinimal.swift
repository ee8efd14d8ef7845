/// The few WFP (fwpkclnt.sys) and NDIS exports a KMDF network driver such as
/// WinDivert needs to get through DriverEntry: handle-returning calls write a
/// handle, registrations succeed, nothing reaches a real network stack.
/// Kept apart from the framework so it can move to an area of its own
/// (Areas/Network.swift) once the export table lists one; until then
/// WdfLoaderArea contributes these handlers.
enum NetworkMinimalArea {
    static let handlers: [String: KernelHandler] = [
        // FwpsInjectionHandleCreate0(AddressFamily, Flags, *InjectionHandle)
        "FwpsInjectionHandleCreate0": { try writeHandle($0, out: $0.arg(2), kind: "InjectionHandle") },
        "FwpsInjectionHandleDestroy0": { _ in UInt64(NTStatus.success) },
        // FwpmEngineOpen0(ServerName, AuthnService, AuthIdentity, Session, *EngineHandle)
        "FwpmEngineOpen0": { try writeHandle($0, out: $0.arg(4), kind: "FwpmEngine") },
        "FwpmEngineClose0": { call in
            call.kernel.handles.close(try call.arg(0))
            return UInt64(NTStatus.success)
        },
        "FwpmTransactionBegin0": { _ in UInt64(NTStatus.success) },
        "FwpmTransactionCommit0": { _ in UInt64(NTStatus.success) },
        "FwpmTransactionAbort0": { _ in UInt64(NTStatus.success) },
        // FwpsCalloutRegister0(DeviceObject, Callout, *CalloutId)
        "FwpsCalloutRegister0": { try writeId($0, out: $0.arg(2)) },
        // FwpmCalloutAdd0 / FwpmFilterAdd0(EngineHandle, Object, SecurityDescriptor, *Id)
        "FwpmCalloutAdd0": { try writeId($0, out: $0.arg(3), width: 4) },
        "FwpmFilterAdd0": { try writeId($0, out: $0.arg(3)) },
        "FwpmSubLayerAdd0": { _ in UInt64(NTStatus.success) },
        "FwpsCalloutUnregisterByKey0": { _ in UInt64(NTStatus.success) },
        "FwpmCalloutDeleteByKey0": { _ in UInt64(NTStatus.success) },
        "FwpmFilterDeleteByKey0": { _ in UInt64(NTStatus.success) },
        "FwpmSubLayerDeleteByKey0": { _ in UInt64(NTStatus.success) },
        // NdisAllocateNetBufferListPool(NdisHandle, Parameters) → NDIS_HANDLE
        "NdisAllocateNetBufferListPool": { call in try call.kernel.heap.allocate(0x40, name: "NBL pool") },
        "NdisFreeNetBufferListPool": { _ in 0 },
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

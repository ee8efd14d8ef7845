/// One framework object (WDFDRIVER, WDFDEVICE, WDFQUEUE, WDFREQUEST, WDFMEMORY, …).
/// Its handle is the guest address of a small header block, followed by the
/// context the driver asked for in WDF_OBJECT_ATTRIBUTES; the model keeps the
/// rest (parent, children, callbacks, kind-specific values) here.
final class WdfObject {
    let handle: UInt64
    let kind: String
    var parent: UInt64
    var children: [UInt64] = []
    var cleanup: UInt64 = 0
    var destroy: UInt64 = 0
    /// (context type key — the UniqueType of its WDF_OBJECT_CONTEXT_TYPE_INFO —, context address).
    var contexts: [(type: UInt64, address: UInt64)] = []
    /// Kind-specific values ("deviceObject", "irp", "buffer", "callback", …).
    var values: [String: UInt64] = [:]
    /// Requests waiting in a queue, items of a collection.
    var items: [UInt64] = []
    var references = 1

    init(handle: UInt64, kind: String, parent: UInt64) {
        self.handle = handle
        self.kind = kind
        self.parent = parent
    }

    subscript(key: String) -> UInt64 {
        get { values[key] ?? 0 }
        set { values[key] = newValue }
    }
}

/// A WDFDEVICE_INIT being filled in before WdfDeviceCreate (the driver sees only its address).
final class WdfDeviceInit {
    let address: UInt64
    let control: Bool
    var physicalDevice: UInt64 = 0
    var name: String?
    var deviceType: UInt32 = 0x22 // FILE_DEVICE_UNKNOWN
    var characteristics: UInt32 = 0x100 // FILE_DEVICE_SECURE_OPEN
    var ioType: UInt32 = 1 // WdfDeviceIoBuffered
    var exclusive = false
    var fileCreate: UInt64 = 0, fileClose: UInt64 = 0, fileCleanup: UInt64 = 0
    var fileAttributes: UInt64 = 0
    var requestAttributes: UInt64 = 0
    var inCallerContext: UInt64 = 0
    /// WDF_PNPPOWER_EVENT_CALLBACKS values by offset.
    var pnpPower: [Int: UInt64] = [:]

    init(address: UInt64, control: Bool) {
        self.address = address
        self.control = control
    }
}

/// The framework's state for one driver: globals, the function table, objects by handle.
final class WdfState {
    static let maxObjects = 65536
    static let maxContextSize: UInt64 = 1 << 20
    static let headerSize = 0x20

    var globals: UInt64 = 0
    var functionTable: UInt64 = 0
    var structureTable: UInt64 = 0
    var boundMinorVersion: UInt32 = 0
    var driverObject: UInt64 = 0
    var driver: UInt64 = 0
    var deviceAdd: UInt64 = 0
    var driverUnload: UInt64 = 0
    var objects: [UInt64: WdfObject] = [:]
    var deviceInits: [UInt64: WdfDeviceInit] = [:]
    /// DEVICE_OBJECT → WDFDEVICE, FILE_OBJECT → WDFFILEOBJECT, IRP → WDFREQUEST.
    var deviceByObject: [UInt64: UInt64] = [:]
    var fileByObject: [UInt64: UInt64] = [:]
    var requestByIrp: [UInt64: UInt64] = [:]
    /// Pool allocations the model made for WDFMEMORY objects.
    var created = 0
}

extension Kernel {
    var wdf: WdfState { state(WdfState.self) { WdfState() } }

    /// The object behind `handle`, or a bug check as KMDF's handle validation would raise (0x10D WDF_VIOLATION).
    func wdfObject(_ handle: UInt64, _ call: KernelCall, kind: String? = nil) throws -> WdfObject {
        guard let object = wdf.objects[handle], kind == nil || object.kind == kind else {
            call.note("invalid \(kind ?? "WDFOBJECT") handle 0x\(String(handle, radix: 16))")
            throw KernelStop.bugCheck(code: 0x10D, parameters: [0x4, handle, 0, 0], site: call.returnAddress)
        }
        return object
    }

    /// Creates an object of `kind` with the driver's WDF_OBJECT_ATTRIBUTES at `attributes` (0: none):
    /// callbacks, parent (`defaultParent` unless the attributes name one) and context.
    func wdfCreate(_ kind: String, attributes: UInt64, defaultParent: UInt64) throws -> WdfObject {
        let state = wdf
        guard state.objects.count < WdfState.maxObjects else { throw WdfError.tooManyObjects }
        typealias A = WdfLayout.ObjectAttributes
        var parent = defaultParent, cleanup: UInt64 = 0, destroy: UInt64 = 0
        var contextType: UInt64 = 0, contextSize: UInt64 = 0
        if attributes != 0 {
            cleanup = try readU64(attributes &+ UInt64(A.cleanup))
            destroy = try readU64(attributes &+ UInt64(A.destroy))
            let named = try readU64(attributes &+ UInt64(A.parent))
            if named != 0, state.objects[named] != nil { parent = named }
            let info = try readU64(attributes &+ UInt64(A.contextTypeInfo))
            if info != 0 {
                contextType = try contextTypeKey(info)
                contextSize = try readU64(info &+ UInt64(WdfLayout.ContextTypeInfo.contextSize))
                contextSize = max(contextSize, try readU64(attributes &+ UInt64(A.contextSizeOverride)))
                guard contextSize <= WdfState.maxContextSize else { throw WdfError.contextTooLarge(contextSize) }
            }
        }
        let handle = try heap.allocate(WdfState.headerSize + Int(contextSize), name: kind)
        try writeBytes(handle, Array("WDF\0".utf8))
        let object = WdfObject(handle: handle, kind: kind, parent: parent)
        object.cleanup = cleanup
        object.destroy = destroy
        if contextType != 0 { object.contexts.append((contextType, handle + UInt64(WdfState.headerSize))) }
        state.objects[handle] = object
        state.objects[parent]?.children.append(handle)
        state.created += 1
        return object
    }

    /// The key a context type is found by: its UniqueType when set (types declared in several
    /// compilation units share one), else the type info itself.
    func contextTypeKey(_ info: UInt64) throws -> UInt64 {
        let unique = try readU64(info &+ UInt64(WdfLayout.ContextTypeInfo.uniqueType))
        return unique != 0 ? unique : info
    }

    /// Deletes `handle` and its descendants: every EvtCleanupCallback (children first), then every
    /// EvtDestroyCallback, then `then` — a chain of driver calls for `runGuestStep`.
    func wdfDelete(_ handle: UInt64, then: @escaping () throws -> GuestStep) -> GuestStep {
        let state = wdf
        var order: [WdfObject] = []
        func collect(_ handle: UInt64, depth: Int) {
            guard depth < 64, let object = state.objects[handle], !order.contains(where: { $0 === object }) else { return }
            for child in object.children.reversed() { collect(child, depth: depth + 1) }
            order.append(object)
        }
        collect(handle, depth: 0)
        if let object = state.objects[handle], let parent = state.objects[object.parent] {
            parent.children.removeAll { $0 == handle }
        }
        for object in order {
            state.objects[object.handle] = nil
            releaseResources(of: object)
        }
        var calls: [(UInt64, [UInt64])] = order.filter { $0.cleanup != 0 }.map { ($0.cleanup, [$0.handle]) }
        calls += order.filter { $0.destroy != 0 }.map { ($0.destroy, [$0.handle]) }
        return chain(calls, then: then)
    }

    /// Calls each routine in turn (results ignored), then `then`.
    func chain(_ calls: [(UInt64, [UInt64])], then: @escaping () throws -> GuestStep) -> GuestStep {
        guard let (routine, arguments) = calls.first else { return (try? then()) ?? .finish(0) }
        let rest = Array(calls.dropFirst())
        return .call(routine, arguments, then: { [unowned self] _ in chain(rest, then: then) })
    }

    /// What deleting an object gives back to the rest of the kernel model.
    private func releaseResources(of object: WdfObject) {
        let state = wdf
        switch object.kind {
        case "WDFMEMORY":
            if object["ownsPool"] != 0 { freePool(object["buffer"]) }
        case "WDFDEVICE":
            let device = object["deviceObject"]
            state.deviceByObject[device] = nil
            objects.devices[device] = nil
            unlinkDevice(device)
            if let link = object.values.keys.first(where: { $0.hasPrefix("link:") }) {
                objects.symbolicLinks[String(link.dropFirst(5))] = nil
            }
        case "WDFFILEOBJECT":
            state.fileByObject[object["fileObject"]] = nil
        case "WDFREQUEST":
            state.requestByIrp[object["irp"]] = nil
        default:
            break
        }
    }

    /// Takes a DEVICE_OBJECT out of its driver's DeviceObject chain.
    private func unlinkDevice(_ device: UInt64) {
        let driver = wdf.driverObject
        guard driver != 0 else { return }
        let head = driver &+ UInt64(Layout.DriverObject.deviceObject)
        var link = head
        for _ in 0..<64 {
            guard let current = try? readU64(link), current != 0 else { return }
            if current == device {
                let next = (try? readU64(device &+ UInt64(Layout.DeviceObject.nextDevice))) ?? 0
                try? writeU64(link, next)
                return
            }
            link = current &+ UInt64(Layout.DeviceObject.nextDevice)
        }
    }
}

/// Requests the framework model refuses (each becomes an NTSTATUS for the driver).
enum WdfError: Error {
    case tooManyObjects
    case contextTooLarge(UInt64)

    var status: UInt32 {
        switch self {
        case .tooManyObjects, .contextTooLarge: return NTStatus.insufficientResources
        }
    }
}

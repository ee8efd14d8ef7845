/// Generic object DDIs: contexts, references, deletion (with the cleanup and
/// destroy callbacks of the object and its descendants), WdfObjectCreate,
/// WDFSTRING and WDFCOLLECTION.
enum WdfObjectFunctions {
    static let handlers: [KernelExport] = [
        // WdfObjectGetTypedContextWorker(Globals, Handle, TypeInfo)
        .kmdf("WdfObjectGetTypedContextWorker") { call in
            let kernel = call.kernel
            let object = try kernel.wdfObject(call.arg(1), call)
            let key = try kernel.contextTypeKey(call.arg(2))
            return object.contexts.first(where: { $0.type == key })?.address ?? 0
        },
        // WdfObjectAllocateContext(Globals, Handle, ContextAttributes, *Context)
        .kmdf("WdfObjectAllocateContext") { call in
            let kernel = call.kernel
            let object = try kernel.wdfObject(call.arg(1), call)
            let attributes = try call.arg(2)
            let info = try kernel.readU64(attributes &+ UInt64(WdfLayout.ObjectAttributes.contextTypeInfo))
            guard info != 0 else { return UInt64(NTStatus.invalidParameter) }
            let key = try kernel.contextTypeKey(info)
            guard !object.contexts.contains(where: { $0.type == key }), object.contexts.count < 16 else {
                return UInt64(NTStatus.objectNameCollision)
            }
            var size = try kernel.readU64(info &+ UInt64(WdfLayout.ContextTypeInfo.contextSize))
            size = max(size, try kernel.readU64(attributes &+ UInt64(WdfLayout.ObjectAttributes.contextSizeOverride)))
            guard size <= WdfState.maxContextSize else { return UInt64(NTStatus.insufficientResources) }
            let context = try kernel.heap.allocate(Int(size), name: "WDF context")
            object.contexts.append((key, context))
            if object.cleanup == 0 { object.cleanup = try kernel.readU64(attributes &+ UInt64(WdfLayout.ObjectAttributes.cleanup)) }
            if object.destroy == 0 { object.destroy = try kernel.readU64(attributes &+ UInt64(WdfLayout.ObjectAttributes.destroy)) }
            if try call.arg(3) != 0 { try kernel.writeU64(call.arg(3), context) }
            return UInt64(NTStatus.success)
        },
        // WdfObjectContextGetObject(Globals, ContextPointer)
        .kmdf("WdfObjectContextGetObject") { call in
            let context = try call.arg(1)
            return call.kernel.wdf.objects.values.first(where: { $0.contexts.contains { $0.address == context } })?.handle ?? 0
        },
        .kmdf("WdfObjectReferenceActual") { call in
            try call.kernel.wdfObject(call.arg(1), call).references += 1
            return 0
        },
        .kmdf("WdfObjectDereferenceActual") { call in
            let object = try call.kernel.wdfObject(call.arg(1), call)
            object.references = max(0, object.references - 1)
            return 0
        },
        .kmdf("WdfObjectDelete") { call in
            let kernel = call.kernel
            let object = try kernel.wdfObject(call.arg(1), call)
            call.note("delete \(object.kind)")
            return try kernel.runGuestStep(call, kernel.wdfDelete(object.handle, then: { .finish(0) }))
        },
        // WdfObjectCreate(Globals, Attributes, *Object)
        .kmdf("WdfObjectCreate") { call in
            let object = try call.kernel.wdfCreate("WDFOBJECT", attributes: call.arg(1), defaultParent: call.kernel.wdf.driver)
            try call.kernel.writeU64(call.arg(2), object.handle)
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfObjectQuery") { _ in UInt64(NTStatus.notSupported) }.stub("custom object interfaces are not modelled: STATUS_NOT_SUPPORTED"),
        // WdfStringCreate(Globals, UnicodeString, StringAttributes, *String)
        .kmdf("WdfStringCreate") { call in
            let kernel = call.kernel
            let text = try kernel.readUnicodeString(call.arg(1)) ?? ""
            let string = try kernel.wdfCreate("WDFSTRING", attributes: call.arg(2), defaultParent: kernel.wdf.driver)
            string["unicodeString"] = try kernel.makeUnicodeString(text, name: "WDFSTRING")
            try kernel.writeU64(call.arg(3), string.handle)
            return UInt64(NTStatus.success)
        },
        // WdfStringGetUnicodeString(Globals, String, UnicodeString)
        .kmdf("WdfStringGetUnicodeString") { call in
            let kernel = call.kernel
            let string = try kernel.wdfObject(call.arg(1), call, kind: "WDFSTRING")
            try kernel.writeBytes(call.arg(2), try kernel.readBytes(string["unicodeString"], count: Layout.UnicodeString.size))
            return 0
        },
        // WdfCollectionCreate(Globals, CollectionAttributes, *Collection)
        .kmdf("WdfCollectionCreate") { call in
            let collection = try call.kernel.wdfCreate("WDFCOLLECTION", attributes: call.arg(1), defaultParent: call.kernel.wdf.driver)
            try call.kernel.writeU64(call.arg(2), collection.handle)
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfCollectionGetCount") { call in UInt64(try call.kernel.wdfObject(call.arg(1), call, kind: "WDFCOLLECTION").items.count) },
        .kmdf("WdfCollectionAdd") { call in
            let collection = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFCOLLECTION")
            guard collection.items.count < 65536 else { return UInt64(NTStatus.insufficientResources) }
            collection.items.append(try call.arg(2))
            return UInt64(NTStatus.success)
        },
        .kmdf("WdfCollectionRemove") { call in
            let item = try call.arg(2)
            try call.kernel.wdfObject(call.arg(1), call, kind: "WDFCOLLECTION").items.removeAll { $0 == item }
            return 0
        },
        .kmdf("WdfCollectionRemoveItem") { call in
            let collection = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFCOLLECTION")
            let index = try call.arg32(2)
            if index < collection.items.count { collection.items.remove(at: Int(index)) }
            return 0
        },
        .kmdf("WdfCollectionGetItem") { call in
            let collection = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFCOLLECTION")
            let index = try call.arg32(2)
            return index < collection.items.count ? collection.items[Int(index)] : 0
        },
        .kmdf("WdfCollectionGetFirstItem") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFCOLLECTION").items.first ?? 0 },
        .kmdf("WdfCollectionGetLastItem") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFCOLLECTION").items.last ?? 0 },
        .kmdf("WdfFileObjectGetDevice") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFFILEOBJECT")["device"] },
        .kmdf("WdfFileObjectWdmGetFileObject") { call in try call.kernel.wdfObject(call.arg(1), call, kind: "WDFFILEOBJECT")["fileObject"] },
        .kmdf("WdfFileObjectGetFileName") { call in
            let file = try call.kernel.wdfObject(call.arg(1), call, kind: "WDFFILEOBJECT")
            return file["fileObject"] == 0 ? 0 : file["fileObject"] &+ UInt64(Layout.FileObject.fileName)
        },
        .kmdf("WdfFileObjectGetFlags") { _ in 0 }.stub("file objects carry no flags in the model"),
        .kmdf("WdfVerifierDbgBreakPoint") { _ in 0 }.stub("no debugger to break into"),
        .kmdf("WdfVerifierKeBugCheck") { call in
            throw KernelStop.bugCheck(code: try call.arg32(1), parameters: [try call.arg(2), try call.arg(3), try call.arg(4), try call.arg(5)],
                                      site: call.returnAddress)
        },
        .kmdf("WdfGetTriageInfo") { _ in 0 }.stub("no triage data block"),
    ]
}

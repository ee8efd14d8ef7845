/// The kernel model's object manager: handles (ZwClose, ObReferenceObjectByHandle/Pointer/Name, ObfReference/DereferenceObject, ObOpenObjectByPointer/Name, ObQueryNameString, ZwOpenDirectoryObject, ZwQueryDirectoryObject, symbolic link objects, ObCloseHandle, ZwDuplicateObject, ZwQueryObject, ObCreateObject).
enum ObjectsArea {
    static let handlers: [String: KernelHandler] = [:]
}

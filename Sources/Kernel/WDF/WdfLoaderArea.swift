/// WDFLDR.SYS: binding a KMDF driver to the framework (WdfVersionBind and friends).
enum WdfLoaderArea {
    static let handlers: [String: KernelHandler] = [:]
}

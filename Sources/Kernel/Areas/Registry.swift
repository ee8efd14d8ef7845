/// The kernel model's the virtual registry (ZwOpenKey, ZwCreateKey, ZwQueryValueKey, ZwSetValueKey, ZwEnumerateKey, ZwEnumerateValueKey, ZwDeleteKey/Value, ZwQueryKey, ZwFlushKey, RtlQueryRegistryValues, RtlWriteRegistryValue, …).
enum RegistryArea {
    static let handlers: [String: KernelHandler] = [:]
}

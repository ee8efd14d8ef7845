/// The kernel model's the virtual file namespace (ZwCreateFile, ZwOpenFile, ZwReadFile, ZwWriteFile, ZwQueryInformationFile, ZwSetInformationFile, ZwDeleteFile, ZwQueryVolumeInformationFile, ZwQueryDirectoryFile, ZwCreateSection/ZwMapViewOfSection/ZwUnmapViewOfSection, ZwDeviceIoControlFile, IoCreateFile) — the guest never touches host files.
enum FileArea {
    static let handlers: [String: KernelHandler] = [:]
}

/// Zw/NtQuerySystemInformation. Class 103 (SystemCodeIntegrityInformation)
/// is how drivers learn whether HVCI is on: CODEINTEGRITY_OPTION_ENABLED
/// (0x01) always, HVCI_KMCI_ENABLED (0x400) exactly when the run has HVCI on.
/// The other modeled classes are in SystemInformation+Classes.swift.
enum SystemInformationArea {
    static let handlers: [KernelExport] = [
        .ntoskrnl("ZwQuerySystemInformation") { try query($0) },
        .ntoskrnl("NtQuerySystemInformation") { try query($0) },
    ]

    static let codeIntegrityClass: UInt32 = 103

    /// (SystemInformationClass, SystemInformation, SystemInformationLength, ReturnLength).
    static func query(_ call: KernelCall) throws -> UInt64 {
        let kernel = call.kernel
        let infoClass = try call.arg32(0), buffer = try call.arg(1), length = try call.arg32(2), returned = try call.arg(3)
        switch infoClass {
        case codeIntegrityClass:
            let size = UInt32(Layout.CodeIntegrityInformation.size)
            if returned != 0 { try kernel.writeU32(returned, size) }
            guard length >= size else { return UInt64(NTStatus.infoLengthMismatch) }
            var options = Layout.CodeIntegrityInformation.enabled
            if kernel.configuration.hvci {
                options |= Layout.CodeIntegrityInformation.hvciKmciEnabled | Layout.CodeIntegrityInformation.hvciIumEnabled
            }
            try kernel.writeU32(buffer &+ UInt64(Layout.CodeIntegrityInformation.length), size)
            try kernel.writeU32(buffer &+ UInt64(Layout.CodeIntegrityInformation.options), options)
            call.note("SystemCodeIntegrityInformation: CodeIntegrityOptions 0x\(String(options, radix: 16))")
            return UInt64(NTStatus.success)
        case FirmwareTablesArea.informationClass:
            return try FirmwareTablesArea.query(call, buffer: buffer, length: length, returned: returned)
        default:
            if let handler = classHandler(infoClass) {
                return UInt64(try handler(call, buffer, length, returned))
            }
            call.note("information class \(infoClass) not modeled")
            return UInt64(NTStatus.invalidInfoClass)
        }
    }
}

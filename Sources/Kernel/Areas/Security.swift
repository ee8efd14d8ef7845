/// The kernel model's security descriptors, SIDs, ACLs, tokens and access states (Rtl*SecurityDescriptor, Rtl*Sid, RtlCreateAcl, RtlAddAccessAllowedAce, Se*, ZwOpenProcessTokenEx, ZwQueryInformationToken, …).
enum SecurityArea {
    static let handlers: [String: KernelHandler] = [:]
}

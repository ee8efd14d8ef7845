/// Statuses of waits, locks and deferred work.
extension NTStatus {
    public static let wait0: UInt32 = 0x0000_0000
    public static let abandonedWait0: UInt32 = 0x0000_0080
    public static let userAPC: UInt32 = 0x0000_00C0
    public static let alerted: UInt32 = 0x0000_0101
    public static let timeout: UInt32 = 0x0000_0102
    public static let noYieldPerformed: UInt32 = 0x4000_0024
    public static let mutantNotOwned: UInt32 = 0xC000_0046
    public static let semaphoreLimitExceeded: UInt32 = 0xC000_0047
    public static let mutantLimitExceeded: UInt32 = 0xC000_0191
}

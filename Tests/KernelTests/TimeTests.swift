import Testing
@testable import Kernel

struct TimeTests {
    @Test func delayAdvancesEveryClockConsistently() throws {
        let h = try KernelHarness()
        let interval = try h.buffer(8), systemTime = try h.buffer(8), frequency = try h.buffer(8)
        let qpcBefore = try h.call("KeQueryPerformanceCounter", frequency)
        #expect(try h.kernel.readU64(frequency) == 10_000_000)
        let interruptBefore = try h.call("KeQueryInterruptTime")
        try h.call("KeQuerySystemTime", systemTime)
        let systemBefore = try h.kernel.readU64(systemTime)
        try h.kernel.writeU64(interval, UInt64(bitPattern: -10_000_000)) // 1 s
        #expect(try h.call("KeDelayExecutionThread", 0, 0, interval) == 0)
        try h.call("KeQuerySystemTime", systemTime)
        let systemAfter = try h.kernel.readU64(systemTime)
        #expect(systemAfter - systemBefore >= 10_000_000 && systemAfter - systemBefore < 10_000_100)
        let interruptAfter = try h.call("KeQueryInterruptTime")
        #expect(interruptAfter - interruptBefore >= 10_000_000 && interruptAfter - interruptBefore < 10_000_100)
        let qpcAfter = try h.call("KeQueryPerformanceCounter", 0)
        #expect(qpcAfter > qpcBefore && qpcAfter - qpcBefore >= 10_000_000)
        // Inline readers see the same clock: KUSER_SHARED_DATA.SystemTime and InterruptTime.
        let shared = Layout.KUserSharedData.kernelAddress
        #expect(try h.kernel.readU64(shared + 0x14) == h.kernel.processor.systemTime)
        #expect(try h.kernel.readU32(shared + 0x1C) == h.kernel.readU32(shared + 0x18)) // High2Time == High1Time
        let tick = try h.buffer(8)
        try h.call("KeQueryTickCount", tick)
        let ticks = try h.kernel.readU64(tick)
        let expected = try h.call("KeQueryInterruptTime") / 156_250
        #expect(ticks == expected || ticks + 1 == expected)
        let keTickCount = try #require(h.kernel.objects.dataExports["KeTickCount"])
        #expect(UInt64(try h.kernel.readU32(keTickCount)) == ticks & 0xFFFF_FFFF)
    }

    @Test func preciseInterruptTimesStoreTheirValueAndAgreeWithTheClock() throws {
        let h = try KernelHarness()
        for (plain, precise) in [("KeQueryInterruptTime", "KeQueryInterruptTimePrecise"),
                                 ("KeQueryUnbiasedInterruptTime", "KeQueryUnbiasedInterruptTimePrecise")] {
            let stamp = try h.buffer(8)
            let before = try h.call(plain)
            let now = try h.call(precise, stamp)
            #expect(now >= before, "\(precise)")
            #expect(try h.kernel.readU64(stamp) == now, "\(precise) stores its result")
            #expect(try h.call(precise, 0) >= now, "\(precise) with no QpcTimeStamp")
            #expect(try h.call(plain) >= now)
        }
    }

    @Test func performanceCounterIsStrictlyMonotonic() throws {
        let h = try KernelHarness()
        var last: UInt64 = 0
        for _ in 0..<100 {
            let now = try h.call("KeQueryPerformanceCounter", 0)
            #expect(now > last)
            last = now
        }
    }

    @Test func stallAdvancesByMicroseconds() throws {
        let h = try KernelHarness()
        let before = h.kernel.processor.systemTime
        try h.call("KeStallExecutionProcessor", 40)
        #expect(h.kernel.processor.systemTime - before == 400)
    }

    @Test func timeFieldsRoundTripAndKnownDates() throws {
        let h = try KernelHarness()
        let time = try h.buffer(8), fields = try h.buffer(16), back = try h.buffer(8)
        // 2024-02-29 13:45:30.250 UTC, a Thursday.
        let value: UInt64 = 133_536_879_302_500_000
        try h.kernel.writeU64(time, value)
        try h.call("RtlTimeToTimeFields", time, fields)
        let read = try (0..<8).map { try h.kernel.readU16(fields + UInt64($0 * 2)) }
        #expect(read == [2024, 2, 29, 13, 45, 30, 250, 4])
        #expect(try h.call("RtlTimeFieldsToTime", fields, back) == 1)
        #expect(try h.kernel.readU64(back) == value)
        // 1601-01-01 was a Monday.
        try h.kernel.writeU64(time, 0)
        try h.call("RtlTimeToTimeFields", time, fields)
        #expect(try h.kernel.readU16(fields) == 1601 && h.kernel.readU16(fields + 14) == 1)
        // Invalid fields: February 30th.
        try h.kernel.writeU16(fields, 2023)
        try h.kernel.writeU16(fields + 2, 2)
        try h.kernel.writeU16(fields + 4, 30)
        #expect(try h.call("RtlTimeFieldsToTime", fields, back) == 0)
    }

    @Test func secondsSince1970() throws {
        let h = try KernelHarness()
        let time = try h.buffer(8), seconds = try h.buffer(4)
        try h.call("RtlSecondsSince1970ToTime", 1_700_000_000, time)
        #expect(try h.kernel.readU64(time) == 116_444_736_000_000_000 + 17_000_000_000_000_000)
        #expect(try h.call("RtlTimeToSecondsSince1970", time, seconds) == 1)
        #expect(try h.kernel.readU32(seconds) == 1_700_000_000)
        try h.kernel.writeU64(time, 100) // 1601: before 1970
        #expect(try h.call("RtlTimeToSecondsSince1970", time, seconds) == 0)
    }

    @Test func localTimeIsUTC() throws {
        let h = try KernelHarness()
        let system = try h.buffer(8), local = try h.buffer(8)
        try h.kernel.writeU64(system, 133_000_000_000_000_000)
        try h.call("ExSystemTimeToLocalTime", system, local)
        #expect(try h.kernel.readU64(local) == 133_000_000_000_000_000)
    }

    @Test func hostileTimeoutsSaturateInsteadOfTrapping() throws {
        let h = try KernelHarness()
        let interval = try h.buffer(8)
        try h.kernel.writeU64(interval, 0x8000_0000_0000_0000) // Int64.min: relative "forever"
        #expect(try h.call("KeDelayExecutionThread", 0, 0, interval) == 0)
        #expect(h.kernel.processor.systemTime == UInt64(Int64.max))
        try h.call("KeStallExecutionProcessor", 0xFFFF_FFFF)
        #expect(h.kernel.processor.systemTime == UInt64(Int64.max))
    }
}

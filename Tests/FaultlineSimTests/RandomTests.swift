import Testing
@testable import FaultlineSim

@Suite struct RandomTests {
    @Test func sameSeedAndStreamGiveSameDraws() {
        var a = SimRandom(seed: 42, stream: "raft")
        var b = SimRandom(seed: 42, stream: "raft")
        for _ in 0..<1000 { #expect(a.next() == b.next()) }
    }

    @Test func streamsAndSeedsAreIndependent() {
        var a = SimRandom(seed: 42, stream: "raft")
        var b = SimRandom(seed: 42, stream: "network")
        var c = SimRandom(seed: 43, stream: "raft")
        let drawsA = (0..<64).map { _ in a.next() }
        let drawsB = (0..<64).map { _ in b.next() }
        let drawsC = (0..<64).map { _ in c.next() }
        #expect(drawsA != drawsB)
        #expect(drawsA != drawsC)
        #expect(Set(drawsA).isDisjoint(with: drawsB))
    }

    /// The first outputs of xoshiro256** for a known state, from the reference implementation's
    /// algorithm applied by hand to state (1, 2, 3, 4): guards against an accidental change of generator.
    @Test func xoshiroMatchesReferenceSequence() {
        var random = SimRandom(rawSeed: 0)
        random.s0 = 1; random.s1 = 2; random.s2 = 3; random.s3 = 4
        #expect(random.next() == 11520)
        #expect(random.next() == 0)
        #expect(random.next() == 1509978240)
        #expect(random.next() == 1215971899390074240)
    }

    @Test(arguments: [1, 7, 99] as [UInt64])
    func distributionsHaveTheirMoments(seed: UInt64) {
        var random = SimRandom(seed: seed, stream: "moments")
        let n = 50_000
        var sumExp = 0.0, sumNormal = 0.0, sumSquares = 0.0, sumUnit = 0.0
        var logNormals: [Double] = []
        for _ in 0..<n {
            sumExp += random.exponential(mean: 3)
            let x = random.normal(mean: 10, standardDeviation: 2)
            sumNormal += x
            sumSquares += (x - 10) * (x - 10)
            sumUnit += random.unitInterval()
            logNormals.append(random.logNormal(mu: 0, sigma: 0.5))
        }
        #expect(abs(sumExp / Double(n) - 3) < 0.1)
        #expect(abs(sumNormal / Double(n) - 10) < 0.05)
        #expect(abs((sumSquares / Double(n)).squareRoot() - 2) < 0.05)
        #expect(abs(sumUnit / Double(n) - 0.5) < 0.01)
        logNormals.sort()
        #expect(abs(logNormals[n / 2] - 1) < 0.02)  // median of exp(N(0, σ)) is 1
    }

    @Test func uniformStaysInRangeAndCoversIt() {
        var random = SimRandom(seed: 5, stream: "uniform")
        var seen = Set<Int>()
        for _ in 0..<10_000 {
            let value = random.uniform(0..<10)
            #expect((0..<10).contains(value))
            seen.insert(value)
        }
        #expect(seen.count == 10)
        #expect(random.choose(from: [Int]()) == nil)
        #expect(random.bernoulli(0) == false)
        #expect(random.bernoulli(1) == true)
    }

    @Test func derivedStreamsDifferFromParent() {
        var parent = SimRandom(seed: 1, stream: "p")
        var child = parent.derive("child")
        #expect(parent.next() != child.next())
    }

    @Test func latencySamplesRespectFloors() {
        var random = SimRandom(seed: 3, stream: "latency")
        let distributions: [LatencyDistribution] = [
            .constant(.milliseconds(2)),
            .uniform(min: .milliseconds(1), max: .milliseconds(3)),
            .exponential(floor: .milliseconds(1), mean: .milliseconds(2)),
            .normal(mean: .milliseconds(1), standardDeviation: .milliseconds(5), floor: .microseconds(100)),
            .logNormal(median: .milliseconds(1), sigma: 1, floor: .microseconds(200)),
        ]
        for distribution in distributions {
            for _ in 0..<2000 {
                let sample = distribution.sample(&random)
                #expect(sample >= .microseconds(100))
                if case .uniform(let min, let max) = distribution { #expect(sample >= min && sample <= max) }
            }
        }
    }
}

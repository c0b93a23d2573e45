import Testing
@testable import FaultlineReport

/// Reading the checker's counterexample text back (Counterexample.swift).
@Suite struct CounterexampleTests {
    @Test func parsesTheCheckersText() throws {
        let example = try #require(Counterexample.parse(PageFixtures.counterexampleDetail))
        #expect(example.key == "k3")
        #expect(example.operations.count == 3)
        #expect(example.operations[0] == .init(client: 1, text: "put k3 = \"v1\"", called: 30.1, returned: 30.2))
        #expect(example.operations[2].returned == nil)
    }

    @Test func refusesAnythingElseWhole() {
        #expect(Counterexample.parse("two leaders in term 3") == nil)
        #expect(Counterexample.parse("key k1 is not linearizable; smallest failing sub-history (1 ops): client x get k1 [t=1.000s, t=2.000s]") == nil)
        #expect(Counterexample.parse("key k1 is not linearizable; smallest failing sub-history (1 ops): client 1 get k1 [t=1.000s, later]") == nil)
    }

    @Test func drawsOneRowPerClient() throws {
        let svg = CounterexampleChart.svg(try #require(Counterexample.parse(PageFixtures.counterexampleDetail)))
        #expect(PageFixtures.count("class=\"op-bar\"", in: svg) == 3)
        #expect(svg.contains(">client 0<") && svg.contains(">client 1<") && svg.contains(">client 2<"))
        #expect(svg.contains("unknown)"))
    }
}

import ArgumentParser

@main
struct Faultline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faultline",
        abstract: "Deterministic chaos and high-availability tester for Kubernetes-style clusters.",
        version: "0.1.0"
    )
}

import FaultlineSim
import Testing
@testable import FaultlineCluster

private func request(
    _ user: ApiUser, _ verb: ApiVerb, _ resource: ResourceKind, _ subresource: ApiSubresource? = nil,
    namespace: String = "", name: String = "", object: KubeObject? = nil
) -> ApiRequest {
    var request = ApiRequest(id: 1, user: user, verb: verb, resource: resource, namespace: namespace, name: name)
    request.subresource = subresource
    request.object = object
    return request
}

private func message(_ decision: AuthorizationDecision) -> String? {
    switch decision {
    case .allow: return nil
    case .deny(let status):
        #expect(status.code == .forbidden && status.reason == "Forbidden")
        return status.message
    }
}

@Suite struct RBACAuthorizerTests {
    let authorizer = RBACAuthorizer()

    @Test func aNodeCannotUpdateTheStatusOfAnotherNodesPod() {
        let update = request(.node("worker-2"), .update, .pods, .status, namespace: "default", name: "web-1")
        let decision = authorizer.authorize(update, boundNodeName: "worker-1")
        #expect(message(decision) == #"pods "web-1" is forbidden: User "system:node:worker-2" cannot update resource "pods/status" in API group "" in the namespace "default""#)
        // Unknown binding: refused too.
        #expect(!authorizer.authorize(update).isAllowed)
        // Its own pod: allowed, by the Node authorizer.
        #expect(authorizer.authorize(update, boundNodeName: "worker-2") == .allow)
        #expect(authorizer.allowedBy(update, boundNodeName: "worker-2") == .node)
    }

    @Test func aNodeWritesOnlyItsOwnNodeAndLease() {
        let own = request(.node("worker-2"), .update, .nodes, name: "worker-2")
        #expect(authorizer.authorize(own).isAllowed)
        #expect(authorizer.authorize(request(.node("worker-2"), .update, .nodes, .status, name: "worker-2")).isAllowed)
        let other = request(.node("worker-2"), .update, .nodes, name: "worker-1")
        #expect(message(authorizer.authorize(other)) == #"nodes "worker-1" is forbidden: User "system:node:worker-2" cannot update resource "nodes" in API group "" at the cluster scope"#)
        #expect(!authorizer.authorize(request(.node("worker-2"), .update, .nodes, .status, name: "worker-1")).isAllowed)
        // Registering: create carries the name in the body only.
        let register = request(.node("worker-2"), .create, .nodes, object: .node(Node(metadata: ObjectMeta(name: "worker-2"), status: NodeStatus(capacity: .zero, allocatable: .zero))))
        #expect(authorizer.authorize(register).isAllowed)
        let registerOther = request(.node("worker-2"), .create, .nodes, object: .node(Node(metadata: ObjectMeta(name: "worker-9"), status: NodeStatus(capacity: .zero, allocatable: .zero))))
        #expect(message(authorizer.authorize(registerOther)) == #"nodes is forbidden: User "system:node:worker-2" cannot create resource "nodes" in API group "" at the cluster scope"#)

        let ownLease = request(.node("worker-2"), .update, .leases, namespace: "kube-node-lease", name: "worker-2")
        #expect(authorizer.authorize(ownLease).isAllowed)
        let otherLease = request(.node("worker-2"), .update, .leases, namespace: "kube-node-lease", name: "worker-1")
        #expect(message(authorizer.authorize(otherLease)) == #"leases.coordination.k8s.io "worker-1" is forbidden: User "system:node:worker-2" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease""#)
        #expect(!authorizer.authorize(request(.node("worker-2"), .update, .leases, namespace: "kube-system", name: "worker-2")).isAllowed)
    }

    @Test func aNodeReadsButNeverBindsOrTouchesWorkloads() {
        let node = ApiUser.node("worker-2")
        for resource: ResourceKind in [.nodes, .pods, .services, .endpointslices] {
            #expect(authorizer.authorize(request(node, .watch, resource, namespace: resource.isNamespaced ? "default" : "")).isAllowed)
        }
        let bind = request(node, .create, .pods, .binding, namespace: "default", name: "web-1")
        #expect(message(authorizer.authorize(bind, boundNodeName: nil)) == #"pods "web-1" is forbidden: User "system:node:worker-2" cannot create resource "pods/binding" in API group "" in the namespace "default""#)
        #expect(!authorizer.authorize(request(node, .list, .deployments, namespace: "default")).isAllowed)
        #expect(!authorizer.authorize(request(node, .delete, .pods, namespace: "default", name: "web-1"), boundNodeName: "worker-1").isAllowed)
        #expect(authorizer.authorize(request(node, .delete, .pods, namespace: "default", name: "web-1"), boundNodeName: "worker-2").isAllowed)
        // The node identity needs the group too.
        let impostor = ApiUser(name: "system:node:worker-2")
        #expect(!authorizer.authorize(request(impostor, .get, .nodes, name: "worker-2")).isAllowed)
    }

    @Test func theSchedulerBindsAndHoldsOnlyItsLease() {
        let scheduler = ApiUser.scheduler
        #expect(authorizer.authorize(request(scheduler, .create, .pods, .binding, namespace: "default", name: "web-1")).isAllowed)
        #expect(authorizer.authorize(request(scheduler, .watch, .nodes)).isAllowed)
        #expect(authorizer.authorize(request(scheduler, .update, .pods, .status, namespace: "default", name: "web-1")).isAllowed)
        #expect(authorizer.authorize(request(scheduler, .get, .leases, namespace: "kube-system", name: "kube-scheduler")).isAllowed)
        #expect(authorizer.authorize(request(scheduler, .update, .leases, namespace: "kube-system", name: "kube-scheduler")).isAllowed)
        #expect(authorizer.authorize(request(scheduler, .create, .leases, namespace: "kube-system")).isAllowed)
        let stealing = request(scheduler, .update, .leases, namespace: "kube-system", name: "kube-controller-manager")
        #expect(message(authorizer.authorize(stealing)) == #"leases.coordination.k8s.io "kube-controller-manager" is forbidden: User "system:kube-scheduler" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-system""#)
        #expect(!authorizer.authorize(request(scheduler, .update, .pods, namespace: "default", name: "web-1")).isAllowed)
        #expect(message(authorizer.authorize(request(scheduler, .create, .deployments, namespace: "default"))) == #"deployments.apps is forbidden: User "system:kube-scheduler" cannot create resource "deployments" in API group "apps" in the namespace "default""#)
    }

    @Test func theControllerManagerRunsTheControllersButDoesNotBind() {
        let manager = ApiUser.controllerManager
        for resource: ResourceKind in [.deployments, .replicasets, .pods, .endpointslices] {
            for verb in ApiVerb.allCases {
                #expect(authorizer.authorize(request(manager, verb, resource, namespace: "default", name: verb == .create || verb == .list || verb == .watch ? "" : "x")).isAllowed)
            }
        }
        #expect(authorizer.authorize(request(manager, .update, .replicasets, .status, namespace: "default", name: "rs")).isAllowed)
        #expect(authorizer.authorize(request(manager, .update, .nodes, name: "worker-1")).isAllowed)
        #expect(authorizer.authorize(request(manager, .update, .nodes, .status, name: "worker-1")).isAllowed)
        #expect(authorizer.authorize(request(manager, .get, .leases, namespace: "kube-system", name: "kube-controller-manager")).isAllowed)
        #expect(!authorizer.authorize(request(manager, .get, .leases, namespace: "kube-system", name: "kube-scheduler")).isAllowed)
        #expect(!authorizer.authorize(request(manager, .create, .pods, .binding, namespace: "default", name: "web-1")).isAllowed)
        #expect(message(authorizer.authorize(request(manager, .create, .services, namespace: "default"))) == #"services is forbidden: User "system:kube-controller-manager" cannot create resource "services" in API group "" in the namespace "default""#)
        #expect(!authorizer.authorize(request(manager, .delete, .namespaces, name: "default")).isAllowed)
    }

    @Test func mastersMayDoAnythingAndOthersNothing() {
        for resource in ResourceKind.allCases {
            #expect(authorizer.allowedBy(request(.admin, .delete, resource, namespace: resource.isNamespaced ? "x" : "", name: "y")) == .privilegedGroup)
            #expect(!authorizer.authorize(request(.anonymous, .get, resource, namespace: resource.isNamespaced ? "x" : "", name: "y")).isAllowed)
            #expect(!authorizer.authorize(request(ApiUser(name: "alice", groups: ["system:authenticated"]), .list, resource)).isAllowed)
        }
        #expect(message(authorizer.authorize(request(.anonymous, .list, .clusterroles))) == #"clusterroles.rbac.authorization.k8s.io is forbidden: User "system:anonymous" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope"#)
    }

    @Test func scenarioGrantsWidenAccessOnlyWhereBound() {
        let alice = ApiUser(name: "alice", groups: ["system:authenticated", "devs"])
        let readPods = request(alice, .get, .pods, namespace: "default", name: "web-1")
        var rbac = RBACAuthorizer()
        #expect(message(rbac.authorize(readPods)) == #"pods "web-1" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "default""#)

        // A namespaced Role bound in "default" to the user.
        rbac.grant(
            Role(metadata: ObjectMeta(name: "pod-reader", namespace: "default"), rules: [PolicyRule(verbs: ["get", "list", "watch"], resources: ["pods"])]),
            boundTo: RoleBinding(metadata: ObjectMeta(name: "alice-reads", namespace: "default"), roleName: "pod-reader", subjects: ["alice"]))
        #expect(rbac.allowedBy(readPods) == .scenarioRBAC)
        #expect(!rbac.authorize(request(alice, .get, .pods, namespace: "kube-system", name: "etcd")).isAllowed)
        #expect(!rbac.authorize(request(alice, .update, .pods, namespace: "default", name: "web-1")).isAllowed)
        #expect(!rbac.authorize(request(alice, .update, .pods, .status, namespace: "default", name: "web-1")).isAllowed)

        // A cluster role bound to a group, with the */status form.
        rbac.grant(
            Role(metadata: ObjectMeta(name: "status-writer"), rules: [PolicyRule(verbs: ["update"], resources: ["*/status"])]),
            boundTo: RoleBinding(metadata: ObjectMeta(name: "devs-status"), roleName: "status-writer", subjects: ["devs"]))
        #expect(rbac.authorize(request(alice, .update, .pods, .status, namespace: "kube-system", name: "etcd")).isAllowed)
        #expect(rbac.authorize(request(alice, .update, .nodes, .status, name: "worker-1")).isAllowed)
        #expect(!rbac.authorize(request(alice, .update, .nodes, name: "worker-1")).isAllowed)

        // A grant can give a node what the Node authorizer withholds (the authorizers are a union).
        let bind = request(.node("worker-2"), .create, .pods, .binding, namespace: "default", name: "web-1")
        #expect(!rbac.authorize(bind).isAllowed)
        rbac.grant(
            Role(metadata: ObjectMeta(name: "binder"), rules: [PolicyRule(verbs: ["create"], resources: ["pods/binding"])]),
            boundTo: RoleBinding(metadata: ObjectMeta(name: "nodes-bind"), roleName: "binder", subjects: ["system:nodes"]))
        #expect(rbac.allowedBy(bind) == .scenarioRBAC)

        // A binding to a role that does not exist grants nothing.
        var dangling = RBACAuthorizer(extraRoles: [], extraBindings: [RoleBinding(metadata: ObjectMeta(name: "b"), roleName: "missing", subjects: ["alice"])])
        #expect(!dangling.authorize(readPods).isAllowed)
        dangling.grant(Role(metadata: ObjectMeta(name: "missing"), rules: [PolicyRule(verbs: ["*"], resources: ["*"])]), boundTo: RoleBinding(metadata: ObjectMeta(name: "c"), roleName: "other", subjects: []))
        #expect(dangling.authorize(readPods).isAllowed, "the earlier binding now resolves")
    }
}

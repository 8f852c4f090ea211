"""Every listed action through boto3; prints one JSON object of what came back."""
import json
import sys

from client import client, error_code

c = client(sys.argv[1])
out = {}

op = c.create_http_namespace(Name="boto.local", Description="d1",
                             Tags=[{"Key": "team", "Value": "a"}])["OperationId"]
operation = c.get_operation(OperationId=op)["Operation"]
out["create_namespace_status"] = operation["Status"]
out["create_namespace_type"] = operation["Type"]
ns_id = operation["Targets"]["NAMESPACE"]
out["ns_id"] = ns_id
out["get_namespace"] = c.get_namespace(Id=ns_id)["Namespace"]["Name"]
pages = c.get_paginator("list_namespaces").paginate(PaginationConfig={"PageSize": 1})
out["list_namespaces"] = sorted(n["Name"] for n in pages.build_full_result()["Namespaces"])
c.update_http_namespace(Id=ns_id, Namespace={"Description": "d2"})
out["namespace_description"] = c.get_namespace(Id=ns_id)["Namespace"]["Description"]

svc = c.create_service(Name="api", NamespaceId=ns_id,
                       HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]
svc_id = svc["Id"]
out["svc_id"] = svc_id
out["svc_arn"] = svc["Arn"]
out["get_service"] = c.get_service(Id=svc_id)["Service"]["Name"]
out["list_services"] = [s["Name"] for s in c.list_services(
    Filters=[{"Name": "NAMESPACE_ID", "Values": [ns_id], "Condition": "EQ"}])["Services"]]
op = c.update_service(Id=svc_id, Service={"Description": "new"})["OperationId"]
out["update_service_type"] = c.get_operation(OperationId=op)["Operation"]["Type"]
out["service_description"] = c.get_service(Id=svc_id)["Service"]["Description"]

for i in range(3):
    c.register_instance(ServiceId=svc_id, InstanceId="i-%d" % i,
                        Attributes={"AWS_INSTANCE_IPV4": "10.0.0.%d" % (i + 1),
                                    "AWS_INSTANCE_PORT": "8080", "zone": "z%d" % (i % 2)})
out["get_instance"] = c.get_instance(ServiceId=svc_id, InstanceId="i-1")[
    "Instance"]["Attributes"]["AWS_INSTANCE_IPV4"]
pages = c.get_paginator("list_instances").paginate(
    ServiceId=svc_id, PaginationConfig={"PageSize": 2})
out["list_instances"] = sorted(i["Id"] for i in pages.build_full_result()["Instances"])
c.update_instance_custom_health_status(ServiceId=svc_id, InstanceId="i-2", Status="UNHEALTHY")
out["health"] = c.get_instances_health_status(ServiceId=svc_id)["Status"]
found = c.discover_instances(NamespaceName="boto.local", ServiceName="api",
                             HealthStatus="HEALTHY", QueryParameters={"zone": "z0"})
out["discovered"] = sorted(i["InstanceId"] for i in found["Instances"])
out["discovered_ip"] = found["Instances"][0]["Attributes"]["AWS_INSTANCE_IPV4"]
# InstancesRevision is newer than Debian's boto3 model (1.26): not parsed there.
pages = c.get_paginator("list_operations").paginate(
    Filters=[{"Name": "SERVICE_ID", "Values": [svc_id], "Condition": "EQ"}],
    PaginationConfig={"PageSize": 2})
out["service_operations"] = len(pages.build_full_result()["Operations"])

c.tag_resource(ResourceARN=svc["Arn"], Tags=[{"Key": "k1", "Value": "v1"},
                                             {"Key": "k2", "Value": "v2"}])
c.untag_resource(ResourceARN=svc["Arn"], TagKeys=["k1"])
out["tags"] = c.list_tags_for_resource(ResourceARN=svc["Arn"])["Tags"]

out["errors"] = {
    "delete_service_in_use": error_code(c.delete_service, Id=svc_id),
    "delete_namespace_in_use": error_code(c.delete_namespace, Id=ns_id),
    "get_unknown_instance": error_code(c.get_instance, ServiceId=svc_id, InstanceId="nope"),
    "get_unknown_service": error_code(c.get_service, Id="srv-0000000000000000"),
    "get_unknown_namespace": error_code(c.get_namespace, Id="ns-0000000000000000"),
    "get_unknown_operation": error_code(c.get_operation, OperationId="nope"),
    "bad_instance_id": error_code(c.register_instance, ServiceId=svc_id, InstanceId="bad id",
                                  Attributes={}),
    "bad_ipv4": error_code(c.register_instance, ServiceId=svc_id, InstanceId="x",
                           Attributes={"AWS_INSTANCE_IPV4": "999.1.1.1"}),
    "dns_namespace": error_code(c.create_private_dns_namespace, Name="x.internal",
                                Vpc="vpc-1"),
}

for i in range(3):
    op = c.deregister_instance(ServiceId=svc_id, InstanceId="i-%d" % i)["OperationId"]
out["deregister_type"] = c.get_operation(OperationId=op)["Operation"]["Type"]
out["deregister_twice"] = error_code(c.deregister_instance, ServiceId=svc_id, InstanceId="i-0")
c.delete_service(Id=svc_id)
op = c.delete_namespace(Id=ns_id)["OperationId"]
out["delete_namespace_type"] = c.get_operation(OperationId=op)["Operation"]["Type"]
out["namespaces_left"] = len(c.list_namespaces()["Namespaces"])
print(json.dumps(out, sort_keys=True))

"""Seed a moto IAM server through the real AWS API (boto3), for tests/aws_moto.rs.

Usage: seed.py ENDPOINT [--bulk-users N]
Prints one JSON object: the ids the test asserts on (access key ids, ARNs).
Every name, tag and key here is synthetic.
"""
import datetime
import json
import sys

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ENDPOINT = sys.argv[1]
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account

def client(service, key=None, secret=None, region=None):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=region or REGION,
        aws_access_key_id=key or "testing",
        aws_secret_access_key=secret or "testing",
    )

iam = client("iam")

def trust(statement):
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

def bulk(n):
    """N users with two access keys each, for the throughput benchmark."""
    for i in range(n):
        name = f"bulk-svc-{i:05d}"
        iam.create_user(UserName=name, Tags=[{"Key": "Owner", "Value": f"team-{i % 17}"}])
        iam.create_access_key(UserName=name)
        iam.create_access_key(UserName=name)
    print(json.dumps({"users": n}))

def stores():
    """Secret stores: two Secrets Manager secrets (one shared with another account, one
    with rotation configured) and an SSM SecureString parameter, synthetic values."""
    sm = client("secretsmanager")
    sm.create_secret(Name="prod/payments/api", SecretString="synthetic-value-1",
                     Tags=[{"Key": "Owner", "Value": "payments"}])
    sm.put_resource_policy(SecretId="prod/payments/api", ResourcePolicy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    sm.create_secret(Name="prod/db/master", SecretString="synthetic-value-2",
                     Tags=[{"Key": "Owner", "Value": "data"}])
    try:
        # moto records the rotation settings, then fails to find the (absent) rotation
        # Lambda; the settings are what the inventory reads.
        sm.rotate_secret(SecretId="prod/db/master",
                         RotationLambdaARN="arn:aws:lambda:us-east-1:123456789012:function:rotator",
                         RotationRules={"AutomaticallyAfterDays": 30})
    except Exception:
        pass
    ssm = client("ssm")
    ssm.put_parameter(Name="/prod/api/password", Value="synthetic-value-3", Type="SecureString")
    ssm.put_parameter(Name="/prod/api/user", Value="not-a-secret", Type="String")
    # A secret in another region: listed only when that region is asked for.
    client("secretsmanager", region="eu-west-1").create_secret(
        Name="eu/payments/api", SecretString="synthetic-value-4",
        Tags=[{"Key": "Owner", "Value": "payments-eu"}])
    print(json.dumps({"secrets": 3, "parameters": 1}))

def bulk_stores(n):
    """N/2 Secrets Manager secrets and N/2 SecureString parameters, for the benchmark."""
    sm, ssm = client("secretsmanager"), client("ssm")
    for i in range(n // 2):
        sm.create_secret(Name=f"bulk/app-{i:05d}/db", SecretString=f"synthetic-{i}",
                         Tags=[{"Key": "Owner", "Value": f"team-{i % 17}"}])
        ssm.put_parameter(Name=f"/bulk/app-{i:05d}/token", Value=f"synthetic-{i}",
                          Type="SecureString")
    print(json.dumps({"secrets": n // 2, "parameters": n // 2}))

if "--bulk-stores" in sys.argv:
    bulk_stores(int(sys.argv[sys.argv.index("--bulk-stores") + 1]))
    sys.exit(0)

if "--stores" in sys.argv:
    stores()
    sys.exit(0)

if "--bulk-users" in sys.argv:
    bulk(int(sys.argv[sys.argv.index("--bulk-users") + 1]))
    sys.exit(0)

out = {}

# ci-deploy: owned by tag, two active keys, one of them used once through a signed call.
iam.create_user(UserName="ci-deploy", Tags=[{"Key": "Owner", "Value": "platform"}])
used = iam.create_access_key(UserName="ci-deploy")["AccessKey"]
unused = iam.create_access_key(UserName="ci-deploy")["AccessKey"]
client("sts", used["AccessKeyId"], used["SecretAccessKey"]).get_caller_identity()
iam.attach_user_policy(UserName="ci-deploy", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
out["used_key"] = used["AccessKeyId"]
out["used_secret"] = used["SecretAccessKey"]
out["unused_key"] = unused["AccessKeyId"]

# backup-bot: no owner, one inactive key, a console password, an inline iam:PassRole.
iam.create_user(UserName="backup-bot")
inactive = iam.create_access_key(UserName="backup-bot")["AccessKey"]
iam.update_access_key(UserName="backup-bot", AccessKeyId=inactive["AccessKeyId"], Status="Inactive")
iam.create_login_profile(UserName="backup-bot", Password="Synthetic-Passw0rd-For-Tests!")
iam.put_user_policy(
    UserName="backup-bot",
    PolicyName="pass-any-role",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:PassRole", "s3:PutObject"], "Resource": "*"}]}),
)
out["inactive_key"] = inactive["AccessKeyId"]

# reporting: owner from a lower-case `team` tag, no keys, an SSH public key.
iam.create_user(UserName="reporting", Tags=[{"Key": "team", "Value": "data"}])
ssh_private = ec.generate_private_key(ec.SECP256R1())
ssh_public = ssh_private.public_key().public_bytes(
    serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
ssh = iam.upload_ssh_public_key(UserName="reporting", SSHPublicKeyBody=ssh_public)["SSHPublicKey"]
out["ssh_key"] = ssh["SSHPublicKeyId"]

# legacy-svc: administrator through a group.
iam.create_group(GroupName="admins")
iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
iam.create_user(UserName="legacy-svc", Tags=[{"Key": "Owner", "Value": "platform"}])
iam.add_user_to_group(GroupName="admins", UserName="legacy-svc")

# Roles.
iam.create_role(
    RoleName="vendor-audit",
    AssumeRolePolicyDocument=trust({
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "synthetic-external-id"}},
    }),
    Tags=[{"Key": "Owner", "Value": "security"}],
)
iam.attach_role_policy(RoleName="vendor-audit", PolicyArn="arn:aws:iam::aws:policy/SecurityAudit")

iam.create_open_id_connect_provider(
    Url="https://token.actions.githubusercontent.com",
    ClientIDList=["sts.amazonaws.com"],
    ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
)
oidc = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
iam.create_role(
    RoleName="gha-deploy",
    AssumeRolePolicyDocument=trust({
        "Effect": "Allow",
        "Principal": {"Federated": oidc},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
    }),
    Tags=[{"Key": "Owner", "Value": "platform"}],
)
iam.create_role(
    RoleName="gha-deploy-scoped",
    AssumeRolePolicyDocument=trust({
        "Effect": "Allow",
        "Principal": {"Federated": oidc},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:example-org/app:ref:refs/heads/main"},
        },
    }),
    Tags=[{"Key": "Owner", "Value": "platform"}],
)

iam.create_role(
    RoleName="admin-automation",
    AssumeRolePolicyDocument=trust({
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
    MaxSessionDuration=43200,
)
iam.attach_role_policy(RoleName="admin-automation", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
iam.create_instance_profile(InstanceProfileName="admin-automation")
iam.add_role_to_instance_profile(InstanceProfileName="admin-automation", RoleName="admin-automation")

linked = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]
out["service_linked_role"] = linked["Arn"]

# A server certificate (self-signed, synthetic names).
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.internal.example")])
now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(4242)
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=400))
        .sign(key, hashes.SHA256()))
iam.upload_server_certificate(
    ServerCertificateName="api-internal",
    CertificateBody=cert.public_bytes(serialization.Encoding.PEM).decode(),
    PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode(),
)

iam.create_saml_provider(
    Name="corp-idp",
    # The API wants at least 1,000 characters; a comment pads the synthetic document.
    SAMLMetadataDocument="<EntityDescriptor xmlns='urn:oasis:names:tc:SAML:2.0:metadata' entityID='https://idp.example/'><!--"
    + "synthetic " * 100 + "--></EntityDescriptor>",
)

if "--restricted-scanner" in sys.argv:
    # A scanning principal that may read IAM but is denied ListSSHPublicKeys; then moto
    # starts enforcing IAM policies on every request.
    iam.create_user(UserName="nhiscan-scanner")
    iam.put_user_policy(
        UserName="nhiscan-scanner",
        PolicyName="read-iam-but-not-ssh-keys",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*", "iam:GenerateCredentialReport",
                                           "sts:GetCallerIdentity"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:ListSSHPublicKeys", "Resource": "*"}]}),
    )
    scanner = iam.create_access_key(UserName="nhiscan-scanner")["AccessKey"]
    out["scanner_key"] = scanner["AccessKeyId"]
    out["scanner_secret"] = scanner["SecretAccessKey"]
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(
        ENDPOINT + "/moto-api/reset-auth", data=b"0", method="POST",
        headers={"Content-Type": "text/plain"})).read()

print(json.dumps(out))

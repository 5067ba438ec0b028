# The application's IAM role for IRSA, the cluster's IAM OIDC provider (with its
# thumbprint, the classic gap) and the permissions irsa-probe's S3 check needs.

data "aws_eks_cluster" "this" {
  name = var.cluster_name
}

locals {
  issuer_url  = data.aws_eks_cluster.this.identity[0].oidc[0].issuer
  issuer_host = replace(local.issuer_url, "https://", "")
  provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.cluster[0].arn : (
    "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.issuer_host}"
  )
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

# The issuer's TLS chain; the thumbprint is the SHA-1 fingerprint of the top
# certificate of the chain (the root/intermediate CA), not of the leaf.
data "tls_certificate" "issuer" {
  url = local.issuer_url
}

resource "aws_iam_openid_connect_provider" "cluster" {
  count = var.create_oidc_provider ? 1 : 0

  url = local.issuer_url
  # Must contain the token's audience: sts.amazonaws.com for IRSA.
  client_id_list = ["sts.amazonaws.com"]
  thumbprint_list = [
    data.tls_certificate.issuer.certificates[0].sha1_fingerprint,
  ]
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "Irsa"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    # StringEquals on both keys: exactly this ServiceAccount, exactly this audience.
    # (A `*` in :sub needs StringLike; with StringEquals it never matches.)
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:sub"
      values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

# irsa-probe itself needs no permission for sts:GetCallerIdentity; only its optional
# S3 round trip (put, get, delete one object per pod under the prefix) does.
data "aws_iam_policy_document" "probe_s3" {
  count = var.s3_bucket == "" ? 0 : 1

  statement {
    sid       = "IrsaProbeS3RoundTrip"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.s3_bucket}/${var.s3_prefix}*"]
  }
}

resource "aws_iam_role_policy" "probe_s3" {
  count = var.s3_bucket == "" ? 0 : 1

  name   = "irsa-probe-s3"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.probe_s3[0].json
}

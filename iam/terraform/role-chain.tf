# Role chains: the application's role assumes roles in other accounts (ExternalDNS
# into a DNS account, External Secrets, CI deployers). irsa-probe proves each hop
# when given the same list: IRSA_PROBE_ASSUME_ROLES=ARN[#EXTERNAL_ID],...
# This side (the pod's account) grants sts:AssumeRole on the targets; each target's
# trust policy, in its own account, is in role-chain-target.tf.example.

data "aws_iam_policy_document" "assume_targets" {
  count = length(var.assume_role_arns) == 0 ? 0 : 1

  statement {
    sid       = "AssumeTargetRoles"
    effect    = "Allow"
    actions   = ["sts:AssumeRole"]
    resources = var.assume_role_arns
  }
}

resource "aws_iam_role_policy" "assume_targets" {
  count = length(var.assume_role_arns) == 0 ? 0 : 1

  name   = "assume-target-roles"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.assume_targets[0].json
}

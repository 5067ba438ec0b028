output "role_arn" {
  description = "Annotate the ServiceAccount with it: eks.amazonaws.com/role-arn."
  value       = aws_iam_role.app.arn
}

output "oidc_provider_arn" {
  description = "The Federated principal of the trust policy."
  value       = local.provider_arn
}

output "service_account_annotation" {
  description = "The annotation to put on the ServiceAccount."
  value       = { "eks.amazonaws.com/role-arn" = aws_iam_role.app.arn }
}

variable "cluster_name" {
  description = "EKS cluster whose OIDC issuer the role trusts."
  type        = string
}

variable "create_oidc_provider" {
  description = "Create the IAM OIDC provider for the cluster's issuer (once per cluster and account; false when eksctl or another stack already made it)."
  type        = bool
  default     = true
}

variable "namespace" {
  description = "Namespace of the application's ServiceAccount."
  type        = string
  default     = "demo"
}

variable "service_account" {
  description = "Name of the application's ServiceAccount (annotated with eks.amazonaws.com/role-arn)."
  type        = string
  default     = "demo-app"
}

variable "role_name" {
  description = "Name of the application's IAM role."
  type        = string
  default     = "demo-app"
}

variable "s3_bucket" {
  description = "Bucket for irsa-probe's optional S3 round trip (IRSA_PROBE_S3_BUCKET); empty disables the statement."
  type        = string
  default     = ""
}

variable "s3_prefix" {
  description = "Key prefix irsa-probe writes under (IRSA_PROBE_S3_PREFIX)."
  type        = string
  default     = "irsa-probe/"
}

variable "assume_role_arns" {
  description = "Roles (often in other accounts) the application's role chains into with sts:AssumeRole; the same list as IRSA_PROBE_ASSUME_ROLES without the #EXTERNAL_ID parts. Empty: no statement."
  type        = list(string)
  default     = []
}

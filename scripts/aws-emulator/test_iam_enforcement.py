"""The emulator's identity-policy evaluator against AWS's documented examples
("Policy evaluation logic", "IAM JSON policy elements": Action/NotAction, Resource wildcards,
Condition operators). Run: python3 -m unittest test_iam_enforcement (from this folder)."""

import unittest

from iam_evaluation import allowed

ACCOUNT = "123456789012"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


class EvaluationTests(unittest.TestCase):
    def test_implicit_deny_without_a_matching_allow(self):
        self.assertFalse(allowed([], "s3:GetObject", "arn:aws:s3:::b/k"))
        self.assertFalse(allowed([policy({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})], "s3:GetObject", "arn:aws:s3:::b/k"))

    def test_explicit_deny_overrides_any_allow(self):
        # "An explicit deny in any policy overrides any allows."
        policies = [policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
                    policy({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::prod"})]
        self.assertFalse(allowed(policies, "s3:DeleteBucket", "arn:aws:s3:::prod"))
        self.assertTrue(allowed(policies, "s3:DeleteBucket", "arn:aws:s3:::dev"))

    def test_action_names_are_case_insensitive_and_take_wildcards(self):
        doc = [policy({"Effect": "Allow", "Action": ["iam:*AccessKey*", "S3:getobject"], "Resource": "*"})]
        self.assertTrue(allowed(doc, "iam:CreateAccessKey", "*"))
        self.assertTrue(allowed(doc, "iam:ListAccessKeys", "*"))
        self.assertTrue(allowed(doc, "s3:GetObject", "arn:aws:s3:::b/k"))
        self.assertFalse(allowed(doc, "iam:CreateUser", "*"))

    def test_not_action_allows_everything_else(self):
        # AWS example: "NotAction": "iam:*" with "Resource": "*" allows all but IAM.
        doc = [policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]
        self.assertTrue(allowed(doc, "s3:ListBucket", "arn:aws:s3:::b"))
        self.assertFalse(allowed(doc, "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/r"))

    def test_resource_wildcards(self):
        doc = [policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/site/*"},
                      {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:?"})]
        self.assertTrue(allowed(doc, "s3:GetObject", "arn:aws:s3:::b/site/a/b.html"))
        self.assertFalse(allowed(doc, "s3:GetObject", "arn:aws:s3:::b/other"))
        self.assertTrue(allowed(doc, "lambda:GetFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:7"))
        self.assertFalse(allowed(doc, "lambda:GetFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:17"))
        # An unqualified function ARN does not cover its versions.
        unqualified = [policy({"Effect": "Allow", "Action": "lambda:*", "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"})]
        self.assertFalse(allowed(unqualified, "lambda:GetFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:7"))

    def test_not_resource(self):
        doc = [policy({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"})]
        self.assertTrue(allowed(doc, "s3:GetObject", "arn:aws:s3:::public/k"))
        self.assertFalse(allowed(doc, "s3:GetObject", "arn:aws:s3:::secret/k"))

    def test_conditions(self):
        # AWS example: iam:PassRole only to one service.
        doc = [policy({"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/edge",
                       "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}})]
        role = f"arn:aws:iam::{ACCOUNT}:role/edge"
        self.assertTrue(allowed(doc, "iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"}))
        self.assertFalse(allowed(doc, "iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"}))
        self.assertFalse(allowed(doc, "iam:PassRole", role, {}), "a missing key does not satisfy StringEquals")
        like = [policy({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
                        "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "site/*"]}}})]
        self.assertTrue(allowed(like, "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "site/x"}))
        self.assertFalse(allowed(like, "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "other/"}))
        not_equals = [policy({"Effect": "Deny", "Action": "*", "Resource": "*",
                              "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}),
                      policy({"Effect": "Allow", "Action": "*", "Resource": "*"})]
        self.assertTrue(allowed(not_equals, "lambda:GetFunction", "x", {"aws:RequestedRegion": "us-east-1"}))
        self.assertFalse(allowed(not_equals, "lambda:GetFunction", "x", {"aws:RequestedRegion": "eu-west-1"}))

    def test_unknown_condition_operators_never_allow(self):
        doc = [policy({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}})]
        self.assertFalse(allowed(doc, "s3:ListBucket", "arn:aws:s3:::b", {"s3:max-keys": "5"}))


if __name__ == "__main__":
    unittest.main()

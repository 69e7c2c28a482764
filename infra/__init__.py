"""The CloudFormation stack of blendbatch (stack.yaml) and the tools that keep it true."""

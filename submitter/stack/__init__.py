"""The CloudFormation stack of blendbatch (stack.yaml) and the tools that keep it true.

shipped.py reads the template from the installed package; template.py parses it (PyYAML, a dev
dependency); generate.py rewrites its JobDefinition from submitter/jobdef.py.
"""

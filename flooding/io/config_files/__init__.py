"""The config files on disk: `loading` builds the settings from the shipped defaults, the
person's file, the environment and the command line; `problems` words what is wrong and where;
`user_file` writes the person's file keeping their comments.
"""

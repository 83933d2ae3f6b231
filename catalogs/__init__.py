"""The catalogues a policy declares, as `policy catalog` checks, publishes
and compares them.

Every policy declares its catalogues in catalogs.yaml (the bundled policy its
four of 五（二）); the engine reads them (interpreter.catalogues), and this
package works from the same declarations for any policy, knowing none:

    read      the policy's catalogues, or a folder of their data files, checked
    show      how a declared value reads (labels, periods, the 来源 column)
    site      the published site: html, md, csv, json, xlsx, index pages
    diff      two editions of one catalogue compared, for a change notice
    paths     how a path is shown

    from interpreter.loader import load_policy
    from catalogs.read import read
    from catalogs.site import publish, site_of

    policy = load_policy()
    got = read(policy, "my-folder")       # .catalogues .tables .errors .checked
    publish(site_of(policy, got.catalogues, got.tables), "site")

See docs/catalogs.md for the commands and docs/policy-format.md for the
declarations.
"""

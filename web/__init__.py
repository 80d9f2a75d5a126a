"""The investigator's web UI: blueprints per area, models of the app's own state, auth and i18n helpers.

`app.create_app` wires these together; views stay thin and call `investigations` / `graph`.
"""

# schema/: each database's migrations, schema/<kind>-NNN.sql, embedded
# into its daemon as C strings by schema/embed-sql.sh. A new file is picked
# up as it is: the schema version is the number of files.
#   controller -> kc_controller_migrations (controller/schema_sql.h)
#   audit      -> kc_audit_migrations (service/schema_sql.h)
# SCHEMA_C_<kind> is the generated file, for the library's sources.
define SCHEMA_template
SCHEMA_SQL_$(1) := $$(sort $$(wildcard schema/$(1)-*.sql))
SCHEMA_C_$(1) := $(BUILD)/gen/schema/$(1)_sql.c
# the list of files, rewritten when it changes: a file taken away counts too
$(BUILD)/gen/schema/$(1).list: schema-list-check
	@mkdir -p $$(@D)
	@echo '$$(SCHEMA_SQL_$(1))' | cmp -s - $$@ || echo '$$(SCHEMA_SQL_$(1))' >$$@
$$(SCHEMA_C_$(1)): $$(SCHEMA_SQL_$(1)) $(BUILD)/gen/schema/$(1).list schema/embed-sql.sh
	@mkdir -p $$(@D)
	schema/embed-sql.sh $$@ $(1) $(2) $$(SCHEMA_SQL_$(1))
endef
.PHONY: schema-list-check
$(eval $(call SCHEMA_template,controller,controller/schema_sql.h))
$(eval $(call SCHEMA_template,audit,service/schema_sql.h))

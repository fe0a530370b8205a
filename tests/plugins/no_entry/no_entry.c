/* A shared library that is not a plugin: it has no fm_plugin_entry_v1. */
int not_a_plugin(void) { return 42; }

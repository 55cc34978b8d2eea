/* keycab's globals, all of them: the options that hold for the whole run
 * and the desk's language (cli.h says who sets each). */
#include "controller/cli/cli.h"

const char *cli_socket;
bool cli_json;
bool cli_call_session = true;
enum kc_lang cli_lang = KC_LANG_EN;

/* standin_props.h -- read a Java-style .properties file (key=value) for the stand-ins. */
#ifndef STANDIN_PROPS_H
#define STANDIN_PROPS_H

#define STANDIN_PROPS_FILE_MAX (1024 * 1024)

typedef struct standin_props standin_props_t;

/* Reads path: "key=value" or "key: value" lines; '#' and '!' start comments;
 * whitespace around keys and values is dropped; double quotes around a value
 * are dropped (so solr.in.sh lines read too). Returns NULL (errno set) when the
 * file cannot be read or is larger than STANDIN_PROPS_FILE_MAX. */
standin_props_t *standin_props_load(const char *path);

/* The last value of key, or NULL. The props keep ownership. */
const char *standin_props_get(const standin_props_t *props, const char *key);

/* Frees and sets *props_p to NULL. Tolerates NULL. */
void standin_props_destroy(standin_props_t **props_p);

/* Parses a decimal port number 1..65535 into *port. Returns 0, or -1 (and leaves *port) when text is
 * NULL or not a port. */
int standin_port_parse(const char *text, unsigned *port);

/* The stand-ins' command line: "CMD HOME" or "CMD HOME --port N". Sets *port_override to N, or to 0
 * when no override was given. Returns 0, or -1 (message on stderr) for any other command line. */
int standin_args_port(int argc, char **argv, unsigned *port_override);

/* The repository stand-in's command line: "CMD HOME [--port N] [--props FILE]". Sets *port_override
 * (0 when not given) and *props_file (NULL when not given; points into argv). --props names a second
 * properties file whose keys win over the home's, as -D options in JAVA_OPTS win over
 * alfresco-global.properties; FILE must be absolute. Returns 0, or -1 (message on stderr). */
int standin_args_repo(int argc, char **argv, unsigned *port_override, const char **props_file);

#endif

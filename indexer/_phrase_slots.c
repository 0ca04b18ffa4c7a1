/* The phrase field's terms in C: tokenize.normalized_phrase_slots, exactly.
 *
 * In Python it cost ~0.3 ms a report (a third of preparing its index document),
 * one string operation per character; here it is one pass over the text.
 * tokenize.py keeps the Python version, used where this module is not built,
 * and the tests compare the two on every corpus text.
 *
 * Units, as tokenize._UNIT_RUN finds them (re, str patterns):
 *   an ASCII word  [a-z0-9]+(?:[._][a-z0-9]+)*
 *   a letter       [^\W_a-z0-9]   (\w is Py_UNICODE_ISALNUM or '_')
 *   punctuation    \S otherwise   (\s is Py_UNICODE_ISSPACE): a GAP
 *   whitespace     takes no position
 * The term at a unit's position: GAP for punctuation, else the unit, the join and
 * the next unit ("" where punctuation or the end follows); terms joined by spaces.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define JOIN '|'
#define GAP '|'

typedef struct {
    Py_ssize_t start, end; /* end == start: punctuation (a GAP) */
} Unit;

static int is_ascii_alnum(Py_UCS4 ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static PyObject *normalized_phrase_slots(PyObject *module, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "normalized_phrase_slots() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0)
        return NULL;
    const int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(arg);

    Unit *units = PyMem_New(Unit, n + 1);
    if (units == NULL)
        return PyErr_NoMemory();
    Py_ssize_t count = 0, i = 0;
    while (i < n) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (is_ascii_alnum(ch)) {
            Py_ssize_t j = i + 1;
            for (;;) {
                while (j < n && is_ascii_alnum(PyUnicode_READ(kind, data, j)))
                    j++;
                /* (?:[._][a-z0-9]+)*: a separator counts only with a letter or digit after it */
                if (j + 1 < n) {
                    Py_UCS4 sep = PyUnicode_READ(kind, data, j);
                    if ((sep == '.' || sep == '_') && is_ascii_alnum(PyUnicode_READ(kind, data, j + 1))) {
                        j += 2;
                        continue;
                    }
                }
                break;
            }
            units[count].start = i;
            units[count++].end = j;
            i = j;
        } else if (Py_UNICODE_ISALNUM(ch)) {
            units[count].start = i;
            units[count++].end = i + 1;
            i++;
        } else if (Py_UNICODE_ISSPACE(ch)) {
            i++;
        } else {
            units[count].start = units[count].end = i;
            count++;
            i++;
        }
    }
    if (count == 0) {
        PyMem_Free(units);
        return PyUnicode_New(0, 0);
    }

    /* each unit's characters appear at most twice (its term and the one before), plus join and space */
    Py_ssize_t size = 0;
    for (Py_ssize_t u = 0; u < count; u++)
        size += 2 * (units[u].end - units[u].start) + 2;
    Py_UCS4 *out = PyMem_New(Py_UCS4, size);
    if (out == NULL) {
        PyMem_Free(units);
        return PyErr_NoMemory();
    }
    Py_ssize_t o = 0;
    for (Py_ssize_t u = 0; u < count; u++) {
        if (u > 0)
            out[o++] = ' ';
        if (units[u].end == units[u].start) {
            out[o++] = GAP;
            continue;
        }
        for (Py_ssize_t k = units[u].start; k < units[u].end; k++)
            out[o++] = PyUnicode_READ(kind, data, k);
        out[o++] = JOIN;
        if (u + 1 < count)
            for (Py_ssize_t k = units[u + 1].start; k < units[u + 1].end; k++)
                out[o++] = PyUnicode_READ(kind, data, k);
    }
    PyMem_Free(units);
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, o);
    PyMem_Free(out);
    return result;
}

static PyMethodDef methods[] = {
    {"normalized_phrase_slots", normalized_phrase_slots, METH_O,
     "The phrase field of a normalized text (tokenize.normalized_phrase_slots)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "indexer._phrase_slots",
    "tokenize.normalized_phrase_slots in C (see tokenize.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__phrase_slots(void) {
    return PyModule_Create(&module);
}

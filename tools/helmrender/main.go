// helm-render prints the manifests a Helm chart renders to, without Helm (none is installable on
// the machines this project is tested on): Go's text/template with sprig's functions, plus the
// few Helm adds (include, tpl, required, toYaml, fromYaml, toJson). It does what `helm template`
// does for charts that need no cluster: values.yaml, then each -f file, then each --set, merged
// in that order; .Values, .Chart, .Release, .Capabilities; templates/_*.tpl define, the rest render.
// It is not Helm: no subcharts, hooks, lookup or schema validation (helm itself replaces it).
//
//	helm-render CHART [--set key=value]... [-f values.yaml]... [--name RELEASE] [--namespace NS]
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type options struct {
	chart     string
	files     []string
	sets      []string
	name      string
	namespace string
}

func main() {
	opts, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "helm-render: %v\nusage: helm-render CHART [--set key=value]... [-f values.yaml]... [--name RELEASE] [--namespace NS]\n", err)
		os.Exit(2)
	}
	out, err := render(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "helm-render: %v\n", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(out)
}

func parseArgs(args []string) (options, error) {
	opts := options{name: "shoal", namespace: "default"}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		value := func() (string, error) {
			if eq := strings.IndexByte(arg, '='); eq > 0 && strings.HasPrefix(arg, "--") {
				return arg[eq+1:], nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", arg)
			}
			i++
			return args[i], nil
		}
		flag := arg
		if eq := strings.IndexByte(arg, '='); eq > 0 && strings.HasPrefix(arg, "--") {
			flag = arg[:eq]
		}
		var err error
		var v string
		switch flag {
		case "--set":
			v, err = value()
			opts.sets = append(opts.sets, v)
		case "-f", "--values":
			v, err = value()
			opts.files = append(opts.files, v)
		case "--name":
			opts.name, err = value()
		case "--namespace", "-n":
			opts.namespace, err = value()
		default:
			if strings.HasPrefix(arg, "-") {
				return opts, fmt.Errorf("unknown flag %q", arg)
			}
			if opts.chart != "" {
				return opts, fmt.Errorf("one chart only (got %q and %q)", opts.chart, arg)
			}
			opts.chart = arg
		}
		if err != nil {
			return opts, err
		}
	}
	if opts.chart == "" {
		return opts, fmt.Errorf("no chart directory given")
	}
	return opts, nil
}

func render(opts options) (string, error) {
	chart, err := readYamlMap(filepath.Join(opts.chart, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	values, err := readYamlMap(filepath.Join(opts.chart, "values.yaml"))
	if err != nil {
		return "", err
	}
	for _, file := range opts.files {
		more, err := readYamlMap(file)
		if err != nil {
			return "", err
		}
		values = merge(values, more)
	}
	for _, set := range opts.sets {
		if err := applySet(values, set); err != nil {
			return "", err
		}
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  chartObject(chart),
		"Release": map[string]interface{}{
			"Name": opts.name, "Namespace": opts.namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.32.0", "Major": "1", "Minor": "32", "GitVersion": "v1.32.0"},
		},
	}

	paths, err := filepath.Glob(filepath.Join(opts.chart, "templates", "*"))
	if err != nil {
		return "", err
	}
	sort.Strings(paths)
	root := template.New("chart").Option("missingkey=zero")
	root.Funcs(funcs(root))
	for _, path := range paths {
		base := filepath.Base(path)
		if !(strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".tpl")) {
			continue
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		if _, err := root.New(chartName(chart) + "/templates/" + base).Parse(string(text)); err != nil {
			return "", err
		}
	}

	var out strings.Builder
	for _, path := range paths {
		base := filepath.Base(path)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, ".tpl") || !(strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")) {
			continue
		}
		name := chartName(chart) + "/templates/" + base
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, withTemplate(top, name)); err != nil {
			return "", err
		}
		// A template may render several documents, or none (a disabled feature).
		for _, doc := range strings.Split(buf.String(), "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			out.WriteString("---\n# Source: " + name + "\n")
			out.WriteString(strings.TrimLeft(strings.TrimPrefix(doc, "---"), "\n"))
			if !strings.HasSuffix(doc, "\n") {
				out.WriteString("\n")
			}
		}
	}
	return out.String(), nil
}

func withTemplate(top map[string]interface{}, name string) map[string]interface{} {
	copy := map[string]interface{}{}
	for k, v := range top {
		copy[k] = v
	}
	copy["Template"] = map[string]interface{}{"Name": name, "BasePath": filepath.Dir(name)}
	return copy
}

func stripComments(doc string) string {
	var kept []string
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

func chartName(chart map[string]interface{}) string {
	if name, ok := chart["name"].(string); ok {
		return name
	}
	return "chart"
}

// The Chart.yaml fields under Helm's names (.Chart.Name, .Chart.Version, .Chart.AppVersion, ...).
func chartObject(chart map[string]interface{}) map[string]interface{} {
	object := map[string]interface{}{}
	for k, v := range chart {
		if k == "" {
			continue
		}
		object[strings.ToUpper(k[:1])+k[1:]] = v
	}
	return object
}

func readYamlMap(path string) (map[string]interface{}, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	values := map[string]interface{}{}
	if err := yaml.Unmarshal(text, &values); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return values, nil
}

// merge puts override's values over base's, maps key by key (as Helm merges -f files).
func merge(base, override map[string]interface{}) map[string]interface{} {
	for k, v := range override {
		if sub, ok := v.(map[string]interface{}); ok {
			if baseSub, ok := base[k].(map[string]interface{}); ok {
				base[k] = merge(baseSub, sub)
				continue
			}
		}
		base[k] = v
	}
	return base
}

// applySet applies one --set: a.b.c=value (comma-separated pairs too); the value is a bool, an integer,
// null, {a,b} a list, or else a string, as Helm's --set reads it.
func applySet(values map[string]interface{}, set string) error {
	for _, pair := range splitPairs(set) {
		eq := strings.IndexByte(pair, '=')
		if eq <= 0 {
			return fmt.Errorf("--set %q: expected key=value", pair)
		}
		path := strings.Split(pair[:eq], ".")
		node := values
		for _, key := range path[:len(path)-1] {
			if key == "" {
				return fmt.Errorf("--set %q: empty key", pair)
			}
			next, ok := node[key].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				node[key] = next
			}
			node = next
		}
		node[path[len(path)-1]] = typed(pair[eq+1:])
	}
	return nil
}

func splitPairs(set string) []string {
	var pairs []string
	depth, start := 0, 0
	for i, c := range set {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				pairs = append(pairs, set[start:i])
				start = i + 1
			}
		}
	}
	return append(pairs, set[start:])
}

func typed(text string) interface{} {
	switch text {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n
	}
	if strings.HasPrefix(text, "{") && strings.HasSuffix(text, "}") {
		var list []interface{}
		for _, item := range strings.Split(text[1:len(text)-1], ",") {
			if item != "" {
				list = append(list, typed(item))
			}
		}
		return list
	}
	return text
}

func funcs(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	f["toYaml"] = func(v interface{}) string {
		var buf bytes.Buffer
		encoder := yaml.NewEncoder(&buf)
		encoder.SetIndent(2)
		if err := encoder.Encode(v); err != nil {
			return ""
		}
		return strings.TrimSuffix(buf.String(), "\n")
	}
	f["fromYaml"] = func(text string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(text), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	f["required"] = func(message string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, fmt.Errorf("%s", message)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, fmt.Errorf("%s", message)
		}
		return v, nil
	}
	return f
}

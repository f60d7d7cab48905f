package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// k8sObject is what the test reads of a Kubernetes object.
type k8sObject struct {
	Kind string            `yaml:"kind"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				Containers []struct {
					Image   string   `yaml:"image"`
					Command []string `yaml:"command"`
					Args    []string `yaml:"args"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func readK8s(t *testing.T, path string) []k8sObject {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var objects []k8sObject
	dec := yaml.NewDecoder(f)
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return objects
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		objects = append(objects, o)
	}
}

func find(objects []k8sObject, kind string) k8sObject {
	for _, o := range objects {
		if o.Kind == kind {
			return o
		}
	}
	return k8sObject{}
}

// The Kubernetes Indexed Job was never run on a cluster (there is none
// here). This runs what its pods would: its manifest loads, and each
// pod's shell command, run here with the command on PATH, writes its
// shard's reports, which the merge job's command merges. The servers it
// names do not exist here, so every cell is an error; the pods succeed all
// the same (a verdict is not a pod failure).
func TestKubernetesIndexedJob(t *testing.T) {
	job := readK8s(t, "../../containers/k8s/conformance-job.yaml")
	merge := readK8s(t, "../../containers/k8s/conformance-merge.yaml")
	indexed := find(job, "Job")
	if indexed.Spec.CompletionMode != "Indexed" || indexed.Spec.Completions != 4 || indexed.Spec.Parallelism != 4 {
		t.Fatalf("the Job: %+v", indexed.Spec)
	}
	pod := indexed.Spec.Template.Spec.Containers[0]
	mergePod := find(merge, "Job").Spec.Template.Spec.Containers[0]
	if pod.Image != "socketspec/conformance:latest" || mergePod.Image != pod.Image || len(pod.Args) != 1 || len(mergePod.Args) != 1 {
		t.Fatalf("the pods: %+v, %+v", pod, mergePod)
	}
	if !strings.Contains(pod.Args[0], `--shard "$shard/4"`) {
		t.Errorf("the pods' shards are not of %d: %s", indexed.Spec.Completions, pod.Args[0])
	}

	dir := t.TempDir()
	manifest := filepath.Join(dir, "socketspec.yaml")
	if err := os.WriteFile(manifest, []byte(find(job, "ConfigMap").Data["socketspec.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadManifest(manifest); err != nil {
		t.Fatalf("the ConfigMap's manifest: %v", err)
	}
	// `conformance` on PATH is this test binary, standing in for the command.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	if err := os.Symlink(self, filepath.Join(bin, "conformance")); err != nil {
		t.Fatal(err)
	}
	reports := filepath.Join(dir, "reports")
	inPod := func(script string, env ...string) {
		t.Helper()
		script = strings.NewReplacer("/manifest/socketspec.yaml", manifest, "/reports", reports).Replace(script)
		cmd := exec.CommandContext(testContext(t, 2*time.Minute), pod.Command[0], append(pod.Command[1:], script)...)
		cmd.Env = append(os.Environ(), append(env, "PATH="+bin+":"+os.Getenv("PATH"), commandEnv+"=1")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
	}
	for i := range indexed.Spec.Completions {
		inPod(pod.Args[0], "JOB_COMPLETION_INDEX="+strconv.Itoa(i))
	}
	inPod(mergePod.Args[0])
	summary, err := os.ReadFile(filepath.Join(reports, "merged", "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| alice | ❌ error | ❌ error | ❌ error | ❌ error |", "| bob | ❌ error | ❌ error | ❌ error | ❌ error |"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("the merged summary lacks %q:\n%s", want, summary)
		}
	}
}

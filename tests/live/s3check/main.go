// s3check: the S3 half of a Pyroscope worker's start, against a real S3 server.
//
// It reads the `storage` section of a Pyroscope config file (the one a worker charm wrote),
// maps it to a thanos-io/objstore S3 config as Pyroscope does (grafana/pyroscope
// pkg/objstore/providers/s3/bucket_client.go, newS3Config: bucket_name, endpoint, region,
// access_key_id, secret_access_key, insecure, bucket lookup "auto"), opens the bucket with
// objstore's S3 provider (minio-go underneath, the client Pyroscope stores blocks with), and
// writes, lists, reads back and deletes one object.
//
//	s3check -config FILE              check the bucket
//	s3check -config FILE -make-bucket create the bucket first (what the S3 integrator does)
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/thanos-io/objstore/providers/s3"
	"go.yaml.in/yaml/v3"
)

type storage struct {
	Storage struct {
		Backend string `yaml:"backend"`
		S3      struct {
			Endpoint        string `yaml:"endpoint"`
			Region          string `yaml:"region"`
			BucketName      string `yaml:"bucket_name"`
			AccessKeyID     string `yaml:"access_key_id"`
			SecretAccessKey string `yaml:"secret_access_key"`
			Insecure        bool   `yaml:"insecure"`
		} `yaml:"s3"`
	} `yaml:"storage"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "s3check: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	file := flag.String("config", "", "the Pyroscope config file")
	makeBucket := flag.Bool("make-bucket", false, "create the bucket first")
	flag.Parse()
	text, err := os.ReadFile(*file)
	if err != nil {
		fail("%v", err)
	}
	var cfg storage
	if err := yaml.Unmarshal(text, &cfg); err != nil {
		fail("%s: %v", *file, err)
	}
	if cfg.Storage.Backend != "s3" {
		fail("%s: storage.backend is %q, not s3", *file, cfg.Storage.Backend)
	}
	c := cfg.Storage.S3
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if *makeBucket {
		client, err := minio.New(c.Endpoint, &minio.Options{
			Creds:  credentials.NewStaticV4(c.AccessKeyID, c.SecretAccessKey, ""),
			Secure: !c.Insecure,
			Region: c.Region,
		})
		if err != nil {
			fail("minio client for %s: %v", c.Endpoint, err)
		}
		if err := client.MakeBucket(ctx, c.BucketName, minio.MakeBucketOptions{Region: c.Region}); err != nil {
			fail("make bucket %q at %s: %v", c.BucketName, c.Endpoint, err)
		}
	}

	s3cfg := s3.DefaultConfig
	s3cfg.Bucket = c.BucketName
	s3cfg.Endpoint = c.Endpoint
	s3cfg.Region = c.Region
	s3cfg.AccessKey = c.AccessKeyID
	s3cfg.SecretKey = c.SecretAccessKey
	s3cfg.Insecure = c.Insecure
	s3cfg.BucketLookupType = s3.AutoLookup
	bkt, err := s3.NewBucketWithConfig(log.NewLogfmtLogger(os.Stderr), s3cfg, "pyroscope", nil)
	if err != nil {
		fail("open bucket %q at %s: %v", c.BucketName, c.Endpoint, err)
	}
	name := fmt.Sprintf("s3check/%d", time.Now().UnixNano())
	body := []byte("pyroscope-cluster live s3check\n")
	if err := bkt.Upload(ctx, name, bytes.NewReader(body)); err != nil {
		fail("upload %s to %q at %s: %v", name, c.BucketName, c.Endpoint, err)
	}
	var listed []string
	if err := bkt.Iter(ctx, "s3check/", func(entry string) error {
		listed = append(listed, entry)
		return nil
	}); err != nil {
		fail("list %q: %v", c.BucketName, err)
	}
	found := false
	for _, entry := range listed {
		found = found || entry == name
	}
	if !found {
		fail("%s not listed after its upload: %s", name, strings.Join(listed, ", "))
	}
	reader, err := bkt.Get(ctx, name)
	if err != nil {
		fail("get %s: %v", name, err)
	}
	got, err := io.ReadAll(reader)
	reader.Close()
	if err != nil || !bytes.Equal(got, body) {
		fail("read back %s: %q, %v", name, got, err)
	}
	if err := bkt.Delete(ctx, name); err != nil {
		fail("delete %s: %v", name, err)
	}
	if exists, err := bkt.Exists(ctx, name); err != nil || exists {
		fail("%s still there after delete (%v)", name, err)
	}
	fmt.Printf("bucket %q at %s (insecure=%v): upload, list, get, delete ok\n", c.BucketName, c.Endpoint, c.Insecure)
}

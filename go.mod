module goguestfs

go 1.26.0

require (
	github.com/anchore/go-lzo v0.1.0
	github.com/fxamacker/cbor/v2 v2.9.6
	github.com/klauspost/compress v1.18.5
	github.com/landlock-lsm/go-landlock v0.11.2
	github.com/pierrec/lz4/v4 v4.1.26
	github.com/stretchr/testify v1.12.1
	github.com/ulikunitz/xz v0.5.15
	golang.org/x/sys v0.49.0
	kernel.org/pub/linux/libs/security/libcap/psx v1.2.78
)

require (
	github.com/x448/float16 v0.8.4 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

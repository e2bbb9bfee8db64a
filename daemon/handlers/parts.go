package handlers

import (
	"goguestfs/daemon/parttable"
	"goguestfs/daemon/server"
)

// PartInit writes an empty partition table.
func (h *Handlers) PartInit(c *server.Call, device, parttype string) error {
	t, err := h.table("part_init", device)
	if err != nil {
		return err
	}
	return t.PartInit(parttype)
}

// PartAdd adds a partition.
func (h *Handlers) PartAdd(c *server.Call, device, prlogex string, startsect, endsect int64) error {
	t, err := h.table("part_add", device)
	if err != nil {
		return err
	}
	return t.PartAdd(prlogex, startsect, endsect)
}

// PartDisk partitions a whole disk with one partition.
func (h *Handlers) PartDisk(c *server.Call, device, parttype string) error {
	t, err := h.table("part_disk", device)
	if err != nil {
		return err
	}
	return t.PartDisk(parttype)
}

// PartDel deletes a partition.
func (h *Handlers) PartDel(c *server.Call, device string, partnum int) error {
	t, err := h.table("part_del", device)
	if err != nil {
		return err
	}
	return t.PartDel(partnum)
}

// PartList lists the partitions of a device.
func (h *Handlers) PartList(c *server.Call, device string) ([]server.Partition, error) {
	t, err := h.table("part_list", device)
	if err != nil {
		return nil, err
	}
	parts, err := t.PartList()
	if err != nil {
		return nil, err
	}
	out := make([]server.Partition, 0, len(parts))
	for _, p := range parts {
		out = append(out, server.Partition{PartNum: p.PartNum, PartStart: int64(p.PartStart),
			PartEnd: int64(p.PartEnd), PartSize: int64(p.PartSize)})
	}
	return out, nil
}

// PartGetParttype returns msdos or gpt.
func (h *Handlers) PartGetParttype(c *server.Call, device string) (string, error) {
	t, err := h.table("part_get_parttype", device)
	if err != nil {
		return "", err
	}
	return t.PartGetParttype()
}

// PartSetName sets a GPT partition's name.
func (h *Handlers) PartSetName(c *server.Call, device string, partnum int, name string) error {
	t, err := h.table("part_set_name", device)
	if err != nil {
		return err
	}
	return t.PartSetName(partnum, name)
}

// PartGetName returns a GPT partition's name.
func (h *Handlers) PartGetName(c *server.Call, device string, partnum int) (string, error) {
	t, err := h.table("part_get_name", device)
	if err != nil {
		return "", err
	}
	return t.PartGetName(partnum)
}

// PartSetBootable sets the bootable flag.
func (h *Handlers) PartSetBootable(c *server.Call, device string, partnum int, bootable bool) error {
	t, err := h.table("part_set_bootable", device)
	if err != nil {
		return err
	}
	return t.PartSetBootable(partnum, bootable)
}

// PartGetBootable returns the bootable flag.
func (h *Handlers) PartGetBootable(c *server.Call, device string, partnum int) (bool, error) {
	t, err := h.table("part_get_bootable", device)
	if err != nil {
		return false, err
	}
	return t.PartGetBootable(partnum)
}

// PartSetGPTType sets a GPT partition's type GUID.
func (h *Handlers) PartSetGPTType(c *server.Call, device string, partnum int, guid string) error {
	t, err := h.table("part_set_gpt_type", device)
	if err != nil {
		return err
	}
	return t.PartSetGptType(partnum, guid)
}

// PartGetGPTType returns a GPT partition's type GUID.
func (h *Handlers) PartGetGPTType(c *server.Call, device string, partnum int) (string, error) {
	t, err := h.table("part_get_gpt_type", device)
	if err != nil {
		return "", err
	}
	return t.PartGetGptType(partnum)
}

// PartGetGPTGuid returns a GPT partition's unique GUID.
func (h *Handlers) PartGetGPTGuid(c *server.Call, device string, partnum int) (string, error) {
	t, err := h.table("part_get_gpt_guid", device)
	if err != nil {
		return "", err
	}
	return t.PartGetGptGuid(partnum)
}

// PartSetMBRID sets an MBR partition's type byte.
func (h *Handlers) PartSetMBRID(c *server.Call, device string, partnum, idbyte int) error {
	t, err := h.table("part_set_mbr_id", device)
	if err != nil {
		return err
	}
	return t.PartSetMbrId(partnum, idbyte)
}

// PartGetMBRID returns an MBR partition's type byte.
func (h *Handlers) PartGetMBRID(c *server.Call, device string, partnum int) (int, error) {
	t, err := h.table("part_get_mbr_id", device)
	if err != nil {
		return 0, err
	}
	return t.PartGetMbrId(partnum)
}

// PartToDev returns the device of a partition.
func (h *Handlers) PartToDev(c *server.Call, partition string) (string, error) {
	return parttable.PartToDev(canonical(partition))
}

// PartToPartnum returns the number of a partition.
func (h *Handlers) PartToPartnum(c *server.Call, partition string) (int, error) {
	return parttable.PartToPartnum(canonical(partition))
}

// PartExpandGPT moves the backup GPT to the end of the disk.
func (h *Handlers) PartExpandGPT(c *server.Call, device string) error {
	t, err := h.table("part_expand_gpt", device)
	if err != nil {
		return err
	}
	return t.PartExpandGpt()
}

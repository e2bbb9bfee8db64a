# Filesystems from Ruby: a GPT disk with a vfat EFI system partition and an
# ext4 root, built in one handle, checked by the real tools, and read back
# in a new read-only handle; Ruby types of the results; errno of file
# errors.
require_relative 'helper'
require 'json'
require 'tmpdir'

class TestFilesystems < Minitest::Test
  ESP_TYPE = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B'

  def setup
    @dir = Dir.mktmpdir
    @img = File.join(@dir, 'disk.img')
  end

  def teardown
    FileUtils.rm_rf(@dir)
  end

  # Copy partition n of img to dest, for the checkers.
  def partition_copy(img, n, dest)
    out, st = Open3.capture2('sfdisk', '--json', img)
    assert st.success?
    p = JSON.parse(out)['partitiontable']['partitions'][n - 1]
    File.open(img, 'rb') do |src|
      src.seek(p['start'] * 512)
      File.binwrite(dest, src.read(p['size'] * 512))
    end
  end

  def test_efi_and_root
    g = Guestfs::Guestfs.new
    g.disk_create(@img, 'raw', 128 << 20)
    g.add_drive(@img)
    g.launch
    g.part_init('/dev/sda', 'gpt')
    g.part_add('/dev/sda', 'p', 2048, 67_583)
    g.part_add('/dev/sda', 'p', 67_584, -34)
    g.part_set_gpt_type('/dev/sda', 1, ESP_TYPE)
    g.mkfs('vfat', '/dev/sda1', label: 'ESP')
    g.mkfs('ext4', '/dev/sda2', label: 'root')
    g.mount('/dev/sda2', '/')
    g.mkdir_p('/boot/efi')
    g.mount('/dev/sda1', '/boot/efi')
    g.mkdir_p('/boot/efi/EFI/BOOT')
    g.write('/boot/efi/EFI/BOOT/BOOTX64.EFI', "MZ\0\1")
    g.mkdir('/etc')
    g.write('/etc/os-release', "ID=rubytest\n")
    g.ln_s('os-release', '/etc/release')
    assert_equal({ '/dev/sda2' => '/', '/dev/sda1' => '/boot/efi' }, g.mountpoints)
    g.shutdown
    g.close

    [[1, %w[fsck.fat -n]], [2, %w[e2fsck -fn]]].each do |n, check|
      part = File.join(@dir, "part#{n}")
      partition_copy(@img, n, part)
      out, st = Open3.capture2e(*check, part)
      assert st.success?, out
    end

    g = Guestfs::Guestfs.new
    g.add_drive_ro(@img)
    g.launch
    assert_equal({ '/dev/sda1' => 'vfat', '/dev/sda2' => 'ext4' }, g.list_filesystems)
    g.mount_ro('/dev/sda2', '/')
    g.mount_ro('/dev/sda1', '/boot/efi')
    assert_equal "MZ\0\1".b, g.read_file('/boot/efi/EFI/BOOT/BOOTX64.EFI')
    assert_equal ["ID=rubytest"], g.read_lines('/etc/release')
    assert_equal 'os-release', g.readlink('/etc/release')
    st = g.lstatns('/etc/release')
    assert_equal 0o120777, st['st_mode']
    ents = g.readdir('/etc').to_h { |e| [e['name'], e['ftyp']] }
    assert_equal 'l', ents['release']
    assert_equal 'r', ents['os-release']
    e = assert_raises(Guestfs::Error) { g.mkdir('/x') }
    assert_equal Errno::EROFS::Errno, e.errno
    e = assert_raises(Guestfs::Error) { g.cat('/nope') }
    assert_equal Errno::ENOENT::Errno, e.errno
    g.close
  end

  def test_xattr_values_are_binary
    g = Guestfs::Guestfs.new
    g.add_drive_scratch(64 << 20)
    g.launch
    g.mkfs('ext4', '/dev/sda')
    g.mount('/dev/sda', '/')
    g.touch('/f')
    g.setxattr('user.bin', "a\xffbc", 3, '/f')
    assert_equal [{ 'attrname' => 'user.bin', 'attrval' => "a\xffb".b }], g.getxattrs('/f')
    assert_equal "a\xffb".b, g.getxattr('/f', 'user.bin')
    assert_raises(ArgumentError) { g.setxattr('user.nul', "a\0b", 3, '/f') }
    assert_raises(TypeError) { g.chmod('0644', '/f') }
    g.close
  end
end
